"""zh-hans formats as Chinese government documents print figures: 1,412 户, 79,773.18 m².

Django's zh_Hans locale groups nothing (THOUSAND_SEPARATOR = ""), so ``intcomma`` printed
1412 beside 4,032.23; this keeps everything else from Django and groups by three.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
