import datetime as dt

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.utils import translation


def test_chinese_figures_are_grouped_by_three_like_the_case_report():
    with translation.override("zh-hans"):
        assert intcomma(1412) == "1,412"
        assert intcomma(3000000) == "3,000,000"
        # Everything else stays Django's zh-hans: dates read 2021年12月10日.
        assert date_filter(dt.date(2021, 12, 10)) == "2021年12月10日"
