"""The public read API (``/api/v1/``): published records only, no key needed.

``endpoints`` holds the operations (django-ninja, OpenAPI 3.1), ``schemas`` their typed shapes,
``records`` turns rows into those shapes, ``http`` what every answer shares (rate limit, CORS,
conditional GET, the cache).
"""
