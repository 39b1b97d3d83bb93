"""The key dates of January 1990, defined once: the registry's filters, the timeline's days, the
home page's "years since" and the synthetic benchmark data read them here."""

import datetime

FIRST_DAY = datetime.date(1990, 1, 19)  # the evening Soviet troops entered Baku
MEMORIAL_DAY = datetime.date(1990, 1, 20)  # the night of 19–20 January, the date most deaths carry
LAST_DAY = datetime.date(1990, 1, 22)  # the last day the timeline and the filters take day by day
