"""Every blueprint the service serves, in one list: the map of the HTTP surface."""

from miniapp_api.admin import auth as admin_auth
from miniapp_api.admin import catalog as admin_catalog
from miniapp_api.admin import orders as admin_orders
from miniapp_api.admin import totals as admin_totals
from miniapp_api.admin import units as admin_units
from miniapp_api.mp import addresses as mp_addresses
from miniapp_api.mp import auth as mp_auth
from miniapp_api.mp import catalog as mp_catalog
from miniapp_api.mp import contribution as mp_contribution
from miniapp_api.mp import me as mp_me
from miniapp_api.mp import orders as mp_orders
from miniapp_api.mp import pay_notify as mp_pay_notify
from miniapp_api.mp import units as mp_units

BLUEPRINTS = [
    mp_auth.blp,
    mp_me.blp,
    mp_units.blp,
    mp_catalog.blp,
    mp_contribution.blp,
    mp_addresses.blp,
    mp_orders.blp,
    mp_pay_notify.blp,
    admin_auth.blp,
    admin_units.blp,
    admin_totals.blp,
    admin_catalog.blp,
    admin_orders.blp,
]
