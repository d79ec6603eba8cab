def workbench(request):
    return {}
