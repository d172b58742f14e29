"""Admin views of the knowledge base (read-mostly: changes go through the workbench pages)."""

from __future__ import annotations

from django.contrib import admin

from onewindow.hotline.models import Article, UnansweredQuestion


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("question", "department", "region", "status", "version", "updated_at")
    list_filter = ("status",)
    search_fields = ("question", "key")
    readonly_fields = ("status", "version", "revision", "author", "reviewer", "published_at",
                       "submitted_at")
    raw_id_fields = ("related_items",)

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False


@admin.register(UnansweredQuestion)
class UnansweredQuestionAdmin(admin.ModelAdmin):
    list_display = ("sample", "count", "first_asked_at", "last_asked_at", "handled")
    list_filter = ("handled",)
    ordering = ("-count",)
