"""The web pages: a second entry point beside the JSON API, over the same domain services.

Server-rendered Jinja2 (one template per view, `layout.html` once), cookie sessions with CSRF
tokens, Russian and English through the gettext catalogues in `locale/`. `mount_pages`
(`backend.web.app`) adds them to the app `create_app` builds.
"""
