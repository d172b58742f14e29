"""Code tables of GB/T 39046-2020 Annex A (and the local ones the platform adds)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    COERCION = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    RULING = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class ExercisingLevel(models.TextChoices):
    NATIONAL = "1", _("国家级")
    PROVINCIAL = "2", _("省级")
    MUNICIPAL = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWN = "5", _("镇（乡、街道）级")
    VILLAGE = "6", _("村（社区）级")
    GRADED = "7", _("分级管理")


class BodyNature(models.TextChoices):
    STATUTORY = "1", _("法定机关")
    AUTHORISED = "2", _("授权组织")
    ENTRUSTED = "3", _("受委托组织")
    OTHER = "9", _("其他")


class Audience(models.TextChoices):
    PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    INSTITUTION = "3", _("事业法人")
    SOCIAL_ORG = "4", _("社会组织法人")
    AUTHORITY = "5", _("行政机关")
    OTHER_ORG = "6", _("其他组织")


PERSON_AUDIENCES = frozenset({Audience.PERSON})


class HandlingForm(models.TextChoices):
    WINDOW = "1", _("窗口办理")
    WEB = "2", _("电脑端网上办理")
    MOBILE = "3", _("移动端办理")
    POST = "4", _("快递申请")
    OTHER = "9", _("其他")


class CaseType(models.TextChoices):
    INSTANT = "1", _("即办件")
    PROMISED = "2", _("承诺件")
    OTHER = "9", _("其他")


class LimitUnit(models.TextChoices):
    WORKDAY = "workday", _("工作日")
    NATURAL_DAY = "natural_day", _("自然日")


class CrossRegionScope(models.TextChoices):
    NONE = "0", _("不支持通办")
    NATIONWIDE = "1", _("全国通办")
    CROSS_PROVINCE = "2", _("跨省通办")
    CROSS_CITY = "3", _("省内跨市通办")
    CROSS_COUNTY = "4", _("市内跨县通办")


class OnlineDepth(models.TextChoices):
    INFO = "1", _("一级：网上咨询")
    COLLECT = "2", _("二级：网上收件")
    PREREVIEW = "3", _("三级：网上预审")
    FULL = "4", _("四级：全程网办")


class MaterialForm(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")
    BOTH = "both", _("纸质或电子")


class MaterialSource(models.TextChoices):
    APPLICANT = "1", _("申请人自备")
    GOVERNMENT = "2", _("政府部门核发")
    OTHER = "9", _("其他")


class FormFieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    SELECT = "select", _("下拉选择")
    ID_NUMBER = "id_number", _("身份证号码")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")
    PHONE = "phone", _("手机号码")
    BOOLEAN = "boolean", _("是/否")


# Life-event themes (主题) used for browsing the catalogue; slug -> label.
PERSON_THEMES: dict[str, str] = {
    "birth": "生育收养",
    "household": "户籍办理",
    "education": "教育入学",
    "employment": "就业创业",
    "marriage": "婚姻登记",
    "housing": "住房保障",
    "social-security": "社会保障",
    "health": "医疗卫生",
    "elderly": "养老服务",
    "transport": "交通出行",
    "agriculture": "农业农村",
    "culture": "文化旅游",
    "civil": "民政事务",
    "certificates": "证件办理",
}
ORG_THEMES: dict[str, str] = {
    "start-business": "开办企业",
    "construction": "项目建设",
    "business-licences": "经营许可",
    "culture-business": "文化娱乐",
    "hygiene": "卫生健康",
    "environment": "生态环境",
    "land": "土地房产",
    "agri-business": "农业生产",
    "hr": "人力社保",
    "tax-finance": "财税金融",
}
