"""Every blueprint the service serves, in one list: the map of the HTTP surface."""

from miniapp_api.admin import catalog as admin_catalog
from miniapp_api.mp import auth as mp_auth
from miniapp_api.mp import catalog as mp_catalog
from miniapp_api.mp import me as mp_me

BLUEPRINTS = [
    mp_auth.blp,
    mp_me.blp,
    mp_catalog.blp,
    admin_catalog.blp,
]
