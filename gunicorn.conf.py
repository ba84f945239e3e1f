"""gunicorn's settings for this project, read from the working directory by every gunicorn start
(``make serve``, the tests' servers, ``make bench``); command-line options add to them.

gunicorn refuses an over-long request line or header itself, with a plain-text page, before Django
can answer in JSON. These limits let every request the API has an answer for reach it: a search
of any length (a 400 naming ``search``) and a token of any length up to a 16 KiB header (a 401,
"The token is too long."). Longer ones are refused by gunicorn, as by most proxies in front.
"""

limit_request_line = 8190  # the most gunicorn allows; its default is 4094
limit_request_field_size = 16384  # its default is 8190
