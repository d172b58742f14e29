"""Knowledge base (知识库) of the 12345 hotline and the robot's unanswered questions.

An :class:`Article` (知识库条目) is written by a department (``KNOWLEDGE_EDIT``), reviewed and
published by the hotline centre (``KNOWLEDGE_REVIEW``), and answers operators and the robot
while it is published and inside its validity dates. Its segmented text is kept in the
``search_*`` fields (filled by the services) so that an index can be rebuilt without
re-segmenting every row. :class:`KnowledgeIndexState` holds one version token that changes
whenever the published set changes: each process compares it (one indexed read) and rebuilds
its in-memory index only then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.models import ServiceItem
from onewindow.core.models import TimeStampedModel
from onewindow.regions.models import Department, Region


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已下架")


class Article(TimeStampedModel):
    """知识库条目: one question with its answer, maintained by a department."""

    key = models.SlugField(_("条目标识"), max_length=80, unique=True)
    question = models.CharField(_("标准问题"), max_length=200)
    answer = models.TextField(_("答复口径"))
    phrasings = models.TextField(
        _("相似问法"), blank=True, help_text=_("每行一个，群众常用的其他说法")
    )
    keywords = models.CharField(
        _("关键词"), max_length=500, blank=True, help_text=_("用空格或逗号分隔")
    )
    related_items = models.ManyToManyField(
        ServiceItem, verbose_name=_("关联事项"), blank=True, related_name="knowledge_articles"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("适用区划"), on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT,
        db_index=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编写人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("发布版本"), default=0)
    revision = models.PositiveIntegerField(_("修改次数"), default=0)
    # Segmented text (space-joined jieba tokens), kept by the services.
    search_question = models.TextField(editable=False, blank=True)
    search_phrasings = models.TextField(editable=False, blank=True)
    search_answer = models.TextField(editable=False, blank=True)
    search_extra = models.TextField(editable=False, blank=True)
    tokenizer_version = models.PositiveSmallIntegerField(editable=False, default=0)

    class Meta:
        verbose_name = _("知识库条目")
        verbose_name_plural = _("知识库条目")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["department", "status"], name="article_dept_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="article_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.question

    def phrasing_list(self) -> list[str]:
        return [p.strip() for p in self.phrasings.splitlines() if p.strip()]


class KnowledgeIndexState(models.Model):
    """One row: changes whenever the set of published articles changes."""

    version = models.PositiveBigIntegerField(_("索引版本"), default=0)
    token = models.CharField(_("版本令牌"), max_length=32, default="")
    changed_at = models.DateTimeField(_("变更时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识库索引版本")
        verbose_name_plural = _("知识库索引版本")

    def __str__(self) -> str:
        return f"v{self.version}"


class UnansweredQuestion(models.Model):
    """A question the robot could not answer, counted by its normalised text."""

    text = models.CharField(_("问题（规范化）"), max_length=200, unique=True)
    sample = models.CharField(_("原始问法示例"), max_length=200)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_asked_at = models.DateTimeField(_("首次提问"))
    last_asked_at = models.DateTimeField(_("最近提问"))
    handled = models.BooleanField(_("已处理"), default=False)

    class Meta:
        verbose_name = _("未答问题")
        verbose_name_plural = _("未答问题")
        ordering = ["-count", "-last_asked_at"]
        indexes = [models.Index(fields=["handled", "-count"], name="unanswered_rank")]

    def __str__(self) -> str:
        return self.text
