"""The reference campaign of the seed plan (芒政办发〔2020〕23号), loaded idempotently."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.reference.models import (
    Campaign,
    CampaignPhase,
    CampaignTarget,
    ConcentratedDay,
    Hospital,
    Township,
)

CAMPAIGN = {
    "code": "mangshi-2020",
    "name": "芒市加快推进残疾人证核发工作",
    "document_number": "芒政办发〔2020〕23号",
    "estimated_disabled": 23_900,
    "certified_at_start": 9_675,
    "expiring_certificates": 2_708,
    "poverty_registered_disabled": 1_754,
    "county": "芒市",
    "starts_on": date(2020, 3, 11),
    "ends_on": date(2021, 12, 31),
    "historical": True,
}

PHASES = [
    ("publicity", "宣传发动阶段", date(2020, 3, 11), date(2020, 3, 31),
     "召开动员会，通过广播、宣传栏和入户宣传，告知办证和换证的政策与流程。"),
    ("survey", "摸底调查阶段", date(2020, 4, 1), date(2020, 4, 15),
     "各乡镇（街道、农场）入户摸底，填报证件过期人员（附件1）和疑似残疾人（附件2）名单，报市残联。"),
    ("concentrated", "集中办证阶段", date(2020, 5, 7), date(2020, 5, 25),
     "按乡镇排期，组织申请人到指定医院集中评残；卧床人员上门或视频评定。"),
    ("issuance", "审核发证阶段", date(2020, 6, 1), date(2020, 12, 31),
     "公示、市残联审核、制证，证件发放到乡镇并交到本人手中。"),
]

TARGETS = [(Decimal("0.5000"), date(2020, 12, 31)), (Decimal("0.6000"), date(2021, 12, 31))]

HOSPITALS = ["德宏州医院", "德宏州中医院", "芒市人民医院"]

# code, name, kind, concentrated day — in the plan's order.
TOWNSHIPS = [
    ("manghai", "芒海镇", "town", date(2020, 5, 7)),
    ("zhongshan", "中山乡", "township", date(2020, 5, 8)),
    ("mengga", "勐戛镇", "town", date(2020, 5, 11)),
    ("zhefang", "遮放镇", "town", date(2020, 5, 12)),
    ("mangshi", "芒市镇", "town", date(2020, 5, 13)),
    ("xishan", "西山乡", "township", date(2020, 5, 14)),
    ("wuchalu", "五岔路乡", "township", date(2020, 5, 15)),
    ("jiangdong", "江东乡", "township", date(2020, 5, 18)),
    ("xuangang", "轩岗乡", "township", date(2020, 5, 19)),
    ("santaishan", "三台山乡", "township", date(2020, 5, 20)),
    ("fengping", "风平镇", "town", date(2020, 5, 21)),
    ("zhefang-farm", "遮放农场管委会", "farm", date(2020, 5, 22)),
    ("menghuan", "勐焕街道办事处", "street", date(2020, 5, 25)),
]


def _get_or_create(model, lookup: dict, **values):
    obj = db.session.execute(select(model).filter_by(**lookup)).scalar_one_or_none()
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
    else:
        for key, value in values.items():
            setattr(obj, key, value)
    return obj


def load_reference(code: str | None = None) -> Campaign:
    """Create or update the reference campaign (under `code`, by default its own), townships,
    hospitals and concentrated days. The campaign becomes the active one when none is."""
    code = code or CAMPAIGN["code"]
    campaign = _get_or_create(
        Campaign, {"code": code}, **{k: v for k, v in CAMPAIGN.items() if k != "code"}
    )
    db.session.flush()
    if db.session.execute(select(Campaign.id).where(Campaign.status == "active")).first() is None:
        campaign.status = "active"
        db.session.flush()
    for position, (phase_code, name, starts, ends, description) in enumerate(PHASES):
        _get_or_create(
            CampaignPhase,
            {"campaign_id": campaign.id, "code": phase_code},
            name=name, position=position, starts_on=starts, ends_on=ends,
            description=description,
        )
    for rate, deadline in TARGETS:
        _get_or_create(
            CampaignTarget, {"campaign_id": campaign.id, "deadline": deadline}, holding_rate=rate
        )
    # The plan's must-complete figure: every poverty-registered holder of an expired
    # certificate renewed by the end of the concentrated phase.
    concentrated_end = next(phase[3] for phase in PHASES if phase[0] == "concentrated")
    _get_or_create(CampaignTarget, {"campaign_id": campaign.id, "kind": "poverty_renewal"},
                   deadline=concentrated_end, holding_rate=Decimal("1.0000"))
    hospitals = [_get_or_create(Hospital, {"name": name}) for name in HOSPITALS]
    db.session.flush()
    for position, (township_code, name, kind, day) in enumerate(TOWNSHIPS):
        township = _get_or_create(Township, {"code": township_code}, name=name, kind=kind,
                                  position=position)
        db.session.flush()
        concentrated = _get_or_create(
            ConcentratedDay, {"township_id": township.id, "day": day}, campaign_id=campaign.id
        )
        concentrated.hospitals = list(hospitals)
    db.session.flush()
    db.session.expire(campaign)
    return campaign
