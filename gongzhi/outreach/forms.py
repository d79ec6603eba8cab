"""The campaign form: fields as typed; the rules (ranges, channels, texts, choices) are
the service's, which names each field it refuses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.outreach import audiences
from gongzhi.outreach.models import Channel
from gongzhi.outreach.services import DEFAULT_CHOICES

CHANNEL_SLOTS = 4
BLANK = [("", "—")]


def choices_text(choices: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in choices.items())


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class CampaignForm(forms.Form):
    area = forms.ChoiceField(label=gettext_lazy("Area"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    audience_kind = forms.ChoiceField(
        label=gettext_lazy("Audience"), choices=list(audiences.KINDS.items())
    )
    audience_list = forms.ChoiceField(label=gettext_lazy("Upstream list"), required=False)
    audience_tag = forms.ChoiceField(label=gettext_lazy("Tag"), required=False)
    audience_grid = forms.ChoiceField(label=gettext_lazy("Grid"), required=False)
    audience_campaign = forms.ChoiceField(label=gettext_lazy("Earlier campaign"), required=False)
    sms_text = forms.CharField(
        label=gettext_lazy("SMS text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    voice_script = forms.CharField(
        label=gettext_lazy("Robot-call script"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    choices = forms.CharField(
        label=gettext_lazy("Keypad choices"),
        help_text=gettext_lazy("One a line, as 1=已报到. 9 is always “stop contacting me”."),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=choices_text(DEFAULT_CHOICES),
        required=False,
    )
    channel_1 = forms.ChoiceField(label=gettext_lazy("First channel"), required=False)
    channel_2 = forms.ChoiceField(label=gettext_lazy("Then"), required=False)
    channel_3 = forms.ChoiceField(label=gettext_lazy("Then"), required=False)
    channel_4 = forms.ChoiceField(label=gettext_lazy("Then"), required=False)
    pace_per_minute = forms.CharField(label=gettext_lazy("Pace (per minute)"), initial="600")
    quiet_start = forms.TimeField(
        label=gettext_lazy("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    retries = forms.CharField(label=gettext_lazy("Retries per channel"), initial="1")
    retry_minutes = forms.CharField(label=gettext_lazy("Minutes between tries"), initial="30")
    answer_minutes = forms.CharField(
        label=gettext_lazy("Minutes to wait for an answer"), initial="60"
    )

    def __init__(self, *args: Any, areas: Any = (), audience_choices: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choice(self, "area").choices = [(str(a.pk), a.name) for a in areas]
        if audience_choices is not None:
            _choice(self, "audience_list").choices = BLANK + [
                (str(x.pk), x.name) for x in audience_choices.upstream_lists
            ]
            _choice(self, "audience_tag").choices = BLANK + [
                (t.code, t.name) for t in audience_choices.tags
            ]
            _choice(self, "audience_grid").choices = BLANK + [
                (str(g.pk), g.name) for g in audience_choices.grids
            ]
            _choice(self, "audience_campaign").choices = BLANK + [
                (str(c.pk), f"#{c.pk} {c.name}") for c in audience_choices.campaigns
            ]
        for n in range(1, CHANNEL_SLOTS + 1):
            _choice(self, f"channel_{n}").choices = BLANK + list(Channel.choices)
        if not self.is_bound:
            self.initial.setdefault("channel_1", Channel.SMS)
            self.initial.setdefault("channel_2", Channel.VOICE)
            self.initial.setdefault("channel_3", Channel.NOTICE)
            self.initial.setdefault("channel_4", Channel.VISIT)

    def audience(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data.get("audience_kind", "")
        key = {
            "watch_list": ("list", "audience_list"),
            "upstream_list": ("list", "audience_list"),
            "tag": ("tag", "audience_tag"),
            "grid": ("grid", "audience_grid"),
            "non_responders": ("campaign", "audience_campaign"),
        }.get(kind)
        audience: dict[str, Any] = {"kind": kind}
        if key is not None and data.get(key[1]):
            audience[key[0]] = data[key[1]]
        return audience

    def channels(self) -> list[str]:
        return [
            self.cleaned_data[f"channel_{n}"]
            for n in range(1, CHANNEL_SLOTS + 1)
            if self.cleaned_data.get(f"channel_{n}")
        ]

    def clean_choices(self) -> dict[str, str]:
        """ "1=已报到" lines into {"1": "已报到"}; the service checks the digits."""
        parsed: dict[str, str] = {}
        for line in (self.cleaned_data.get("choices") or "").splitlines():
            if not line.strip():
                continue
            key, sep, label = line.partition("=")
            if not sep:
                key, sep, label = line.partition("＝")
            if not sep:
                raise forms.ValidationError(_("Write one choice a line, as 1=已报到."))
            parsed[key.strip()] = label.strip()
        return parsed

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "audience": self.audience(),
            "sms_text": data["sms_text"],
            "voice_script": data["voice_script"],
            "choices": data["choices"],
            "channels": self.channels(),
            "pace_per_minute": data["pace_per_minute"],
            "quiet_start": data["quiet_start"],
            "quiet_end": data["quiet_end"],
            "retries": data["retries"],
            "retry_minutes": data["retry_minutes"],
            "answer_minutes": data["answer_minutes"],
        }


class AnswerForm(forms.Form):
    digit = forms.CharField(max_length=2)
