from django import forms
from django.utils.translation import gettext_lazy as _

from portal.widgets import DateInput, DateTimeInput

from .models import DRAFT_SETTINGS, Choice, Decision, Item


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = list(DRAFT_SETTINGS)
        widgets = {
            "voting_opens_at": DateTimeInput(),
            "voting_closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class ItemForm(forms.ModelForm):
    buildings = forms.MultipleChoiceField(
        label=_("表决范围"),
        required=False,
        help_text=_("不选则为全体业主；选择楼栋则仅由这些楼栋的业主表决"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Item
        fields = ["title", "category", "sets_fee_standard", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].choices = [
            (b.pk, b.label) for b in compound.buildings.order_by("sort_key", "number")
        ]


class CountForm(forms.Form):
    counting_date = forms.DateField(label=_("计票日期"), widget=DateInput())
    counting_place = forms.CharField(label=_("计票地点"), max_length=200)
    counters = forms.CharField(label=_("唱票、计票、监票人"), max_length=500)
    notary_office = forms.CharField(label=_("公证机构"), max_length=200, required=False)
    public_counting = forms.BooleanField(label=_("公开唱票"), required=False)


BALLOT_CHOICES = [(c.value, c.label) for c in Choice if c != Choice.SPOILED]
PAPER_CHOICES = [("", "—")] + [(c.value, c.label) for c in Choice]


class ProxyForm(forms.Form):
    voter_number = forms.IntegerField(label=_("名册序号"), min_value=1)
    holder_name = forms.CharField(label=_("受托人姓名"), max_length=100)
    holder_username = forms.CharField(
        label=_("受托人账号 (可选)"),
        max_length=150,
        required=False,
        help_text=_("填写后受托人可登录后代为网上投票"),
    )
    authorisation = forms.FileField(label=_("授权委托书 (扫描件)"))
