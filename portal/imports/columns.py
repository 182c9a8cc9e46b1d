"""The two roster attachments' columns, header aliases, titles and Chinese value names."""
# The column titles are the seed's attachment format: Chinese, whatever the interface language,
# because township officials fill in and exchange these files in that form.
from __future__ import annotations

from dataclasses import dataclass

LIST_KINDS = ("expired", "suspected")


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # as written in the template and in exports
    aliases: tuple[str, ...]
    width: int = 12


COMMON_COLUMNS = (
    Column("seq", "序号", ("序号", "编号", "序")),
    Column("name", "姓名", ("姓名", "名字", "残疾人姓名")),
    Column("gender", "性别", ("性别",), 6),
    Column("ethnicity", "民族", ("民族", "族别"), 8),
    Column("id_number", "公民身份号码", (
        "公民身份号码", "身份证号", "身份证号码", "公民身份证号码", "公民身份证号", "身份证",
        "证件号码", "身份号码"), 22),
    Column("village", "所在村（社区）", (
        "所在村社区", "所在村", "村社区", "村居委会", "所在村居委会", "村委会", "所在村委会",
        "行政村", "村名", "所属村", "村", "村居"), 14),
    Column("phone", "联系电话", (
        "联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"), 14),
    Column("poverty", "是否建档立卡贫困户", (
        "是否建档立卡贫困户", "是否建档立卡", "建档立卡贫困户", "建档立卡", "是否贫困户",
        "建档立卡户"), 10),
    Column("mobility", "行动能力", (
        "行动能力", "能否出行", "是否能出行", "是否卧床", "出行能力", "行动情况"), 10),
)
EXPIRED_COLUMNS = COMMON_COLUMNS + (
    Column("certificate_number", "原残疾证号", (
        "原残疾证号", "残疾证号", "残疾人证号", "原残疾人证号", "原证号", "残疾证号码", "证号"),
        24),
    Column("category", "残疾类别", ("残疾类别", "类别", "原残疾类别"), 10),
    Column("grade", "残疾等级", ("残疾等级", "等级", "原残疾等级"), 8),
    Column("expires_on", "有效期至", (
        "有效期至", "有效期", "到期日期", "有效期限", "证件有效期", "到期时间", "有效截止日期",
        "失效日期", "有效期截止"), 12),
)
SUSPECTED_COLUMNS = COMMON_COLUMNS + (
    Column("suspected_category", "疑似残疾类别", (
        "疑似残疾类别", "疑似类别", "残疾类别", "类别"), 10),
    Column("medical_records", "是否有病历", (
        "是否有病历", "有无病历", "病历", "是否有病历资料", "有无病历资料"), 10),
    Column("guardian_name", "监护人姓名", ("监护人姓名", "监护人", "代理人姓名", "监护人代理人姓名")),
    Column("guardian_phone", "监护人电话", (
        "监护人电话", "监护人联系电话", "监护人手机", "代理人电话"), 14),
    Column("notes", "备注", ("备注", "说明"), 20),
)
# The county's valid certificate holders as exported from the national disabled-persons
# database (全国残疾人人口基础库): imported into the register of holders, not onto a survey list.
HOLDER_COLUMNS = (
    COMMON_COLUMNS[0], COMMON_COLUMNS[1], COMMON_COLUMNS[2], COMMON_COLUMNS[4],
    Column("certificate_number", "残疾人证号", (
        "残疾人证号", "残疾证号", "残疾人证号码", "残疾证号码", "证号", "持证号码", "证件编号"), 24),
    Column("category", "残疾类别", ("残疾类别", "类别", "残疾类型")),
    Column("grade", "残疾等级", ("残疾等级", "等级", "残疾级别")),
    Column("issued_on", "发证日期", (
        "发证日期", "发证时间", "办证日期", "办证时间", "签发日期", "首次发证日期", "领证日期"), 12),
    Column("expires_on", "有效期至", EXPIRED_COLUMNS[-1].aliases, 12),
    Column("township", "乡镇（街道）", (
        "乡镇街道", "乡镇", "所在乡镇", "所属乡镇", "乡镇街道办", "街道", "乡镇名称"), 14),
    COMMON_COLUMNS[5], COMMON_COLUMNS[6], COMMON_COLUMNS[7],
)
COLUMNS = {"expired": EXPIRED_COLUMNS, "suspected": SUSPECTED_COLUMNS,
           "holders": HOLDER_COLUMNS}
REQUIRED = ("name", "id_number")
TITLES = {"expired": "过期失效持证残疾人名单", "suspected": "疑似残疾人名单",
          "holders": "有效持证残疾人名单"}
TEMPLATE_NOTE = (
    "填表说明：公民身份号码请按文本填写（18位，末位X可大写或小写）；性别须与身份号码一致；"
    "是否建档立卡贫困户填“是/否”；行动能力填“能出行/行动不便/卧床”；"
    "残疾类别填视力、听力、言语、肢体、智力、精神、多重；残疾等级填一级至四级；"
    "日期填2020-12-31。"
)

CATEGORY_CODES = ("vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
CATEGORY_NAMES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
GENDER_NAMES = {"male": "男", "female": "女"}
MOBILITY_NAMES = {"can_travel": "能出行", "limited": "行动不便", "bedridden": "卧床"}
