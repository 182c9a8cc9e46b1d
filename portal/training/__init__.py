"""Training of assessment doctors and the doctor pool (芒市卫健局: 加大残疾评定医师培训力度，
扩大残疾评定医师队伍): sessions with their results, the rule that a certification needs a passed
training for each of its categories, and the pool's figures."""
from portal.tenancy import city_blueprint

bp = city_blueprint("training", __name__, "/training")

from portal.training import page_parts, rules, views  # noqa: F401
