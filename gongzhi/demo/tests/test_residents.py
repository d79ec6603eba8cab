"""The demo residents: a household of their own, a mobile number that signs in by SMS,
and an elderly parent living alone they act for."""

import io
import re

from django.core.management import call_command

from gongzhi.accounts.models import User
from gongzhi.accounts.selectors import persons_user_may_act_for, proxy_links_for
from gongzhi.demo.spec import COMMUNITIES
from gongzhi.notifications.models import SmsMessage
from gongzhi.portal.services import login_code_request, sign_in_by_code
from gongzhi.registry.models import Area, Person

from .conftest import SCALE


def test_each_resident_login_lives_in_a_household_of_their_community(demo):
    for spec in COMMUNITIES:
        user = User.objects.get(username=f"{spec.slug}-resident")
        community = Area.objects.get(code=spec.code)
        assert user.person is not None
        assert user.person.household.community == community
        assert user.person.household.persons.count() >= 2
        assert user.phone.reveal() == user.person.phone.reveal()
        assert user.display_name == user.person.name


def test_each_resident_acts_for_an_elderly_parent_living_alone(demo):
    for spec in COMMUNITIES:
        user = User.objects.get(username=f"{spec.slug}-resident")
        [link] = proxy_links_for(user)
        parent = Person.objects.get(pk=link.person_id)
        assert parent.tags.filter(code="elderly_alone").exists()
        assert link.label in {"妈妈", "爸爸", "婆婆", "公公", "岳母", "岳父"}
        assert link.confirmed_by.username == f"{spec.slug}-secretary"
        assert persons_user_may_act_for(user) == [user.person_id, parent.pk]


def test_the_logins_print_the_residents_number_and_whom_they_act_for(demo):
    out = io.StringIO()
    call_command("demo", scale=SCALE, stdout=out)
    user = User.objects.get(username="yuling-resident")
    line = next(x for x in out.getvalue().splitlines() if "yuling-resident" in x)
    assert user.phone.reveal() in line and "/m/login/" in line
    assert re.search(r"代 (妈妈|爸爸|婆婆|公公|岳母|岳父) ", line)


def test_a_demo_resident_signs_in_by_sms_code(demo, django_capture_on_commit_callbacks):
    user = User.objects.get(username="qifu-resident")
    phone = user.phone.reveal()
    login_code_request(phone=phone)
    code = re.search(r"\d{6}", SmsMessage.objects.latest("pk").text).group()
    assert sign_in_by_code(phone=phone, code=code) == user
