"""Every blueprint the service serves, in one list: the map of the HTTP surface."""

from miniapp_api.admin import totals as admin_totals
from miniapp_api.mp import auth as mp_auth
from miniapp_api.mp import contribution as mp_contribution
from miniapp_api.mp import me as mp_me

BLUEPRINTS = [
    mp_auth.blp,
    mp_me.blp,
    mp_contribution.blp,
    admin_totals.blp,
]
