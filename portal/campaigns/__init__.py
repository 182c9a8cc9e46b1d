"""Campaigns as data: the city's campaign editor, copying to next year, one active campaign."""
from portal.tenancy import city_blueprint

bp = city_blueprint("campaigns", __name__, "/campaigns")


@bp.app_template_global("active_campaign")
def _active_campaign_for_templates():
    """The active campaign, for templates that mention its phases (e.g. a township's day
    form); called only where a template asks for it."""
    from portal.campaigns.services import active_campaign

    return active_campaign()

from portal.campaigns import views  # noqa: F401
