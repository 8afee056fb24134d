"""The browser editor (issue 16): thin views over services (writes), selectors (reads),
forms (the file as fields) and preview (full pages and signed links).

Every page needs a signed-in account with an editorial role; a manuscript someone may not
see answers 404, the same as a missing one. Every write is a POST with its CSRF token."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.core.files import contained_file

from . import preview, selectors, services, workflow
from .forms import EditorForm, ImageUploadForm, TransitionForm, decompose, image_name, locate
from .models import Manuscript, State
from .roles import Role, has_any_role, roles_of

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
FIELD_FOR_ID = {f"id_{name}": name for name in EditorForm.base_fields}


def _editorial(request: HttpRequest) -> None:
    if not has_any_role(request.user):
        raise Http404("No such page.")


def _manuscript(request: HttpRequest, pk: int) -> Manuscript:
    _editorial(request)
    manuscript = selectors.manuscript_get_visible(user=request.user, pk=pk)
    if manuscript is None:
        raise Http404("No such manuscript.")
    return manuscript


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _located(checked: services.Checked, extra_text: str) -> list[dict]:
    """The findings, worst first, each with the form element and line it points into."""
    located = []
    for finding in checked.findings:
        element, line = locate(finding.get("line"), checked.source, extra_text)
        located.append({**finding, "element": element, "element_line": line})
    located.sort(key=lambda f: (SEVERITY_ORDER.get(f["severity"], 3), f.get("line") or 0))
    return located


def _extra_text(form: EditorForm) -> str:
    if form.is_bound:
        return str(form.data.get("extra", "")).replace("\r\n", "\n")
    return str(form.initial.get("extra", ""))


def _field_notes(form: EditorForm, findings: list[dict]) -> dict[str, list[str]]:
    """Errors that stop the file parsing, shown at their field with their line."""
    notes: dict[str, list[str]] = {}
    for finding in findings:
        if finding["code"] != "invalid-source":
            continue
        name = FIELD_FOR_ID.get(finding["element"], "extra")
        where = f"Line {finding['line']} of the file" if finding.get("line") else "The file"
        notes.setdefault(name, []).append(f"{where}: {finding['message']}")
    for name in notes:
        widget = form.fields[name].widget
        described = widget.attrs.get("aria-describedby", "").split()
        widget.attrs["aria-describedby"] = " ".join([*described, f"{name}-note"])
        widget.attrs["aria-invalid"] = "true"
    return notes


def _editor_page(
    request: HttpRequest,
    manuscript: Manuscript | None,
    *,
    form: EditorForm | None = None,
    checked: services.Checked | None = None,
    upload_form: ImageUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    source = manuscript.source if manuscript else services.NEW_SOURCE
    decomposed = decompose(source)
    if form is None:
        form = EditorForm(initial=decomposed.initial, original=source)
    # A blank new article is not judged before its author has written anything.
    fresh = manuscript is None and not form.is_bound
    if checked is None:
        if fresh:
            checked = services.Checked(source=source)
        else:
            checked = services.manuscript_check(source, slug=manuscript.slug if manuscript else "")
    editable = manuscript is None or workflow.can_edit(request.user, manuscript)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    findings = _located(checked, _extra_text(form))
    notes = _field_notes(form, findings)
    context = {
        "manuscript": manuscript,
        "form": form,
        "fields": [(form[name], notes.get(name, [])) for name in form.fields],
        "review": decomposed.review,
        "checked": checked,
        "fresh": fresh,
        "findings": findings,
        "editable": editable,
        "upload_form": upload_form or ImageUploadForm(),
        "transition_form": TransitionForm(),
        "actions": workflow.allowed_actions(request.user, manuscript) if manuscript else [],
        "transitions": selectors.transitions_of(manuscript=manuscript) if manuscript else [],
        "change_request": (
            selectors.latest_change_request(manuscript=manuscript) if manuscript else None
        ),
        "can_share": manuscript is not None
        and bool(roles_of(request.user) & {Role.EDITOR, Role.AUTHOR}),
        "preview_days": preview.preview_days(),
    }
    return _private(render(request, "editorial/edit.html", context, status=status))


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    _editorial(request)
    query = request.GET.get("q", "")[:200].strip()
    can_open = workflow.can_open_published(request.user)
    context = {
        "groups": selectors.manuscripts_by_state(user=request.user),
        "can_create": workflow.can_create(request.user),
        "can_open": can_open,
        "query": query,
        "published": selectors.published_to_open(query=query) if can_open and query else [],
    }
    return _private(render(request, "editorial/index.html", context))


def _form_errors_from(form: EditorForm, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, texts in errors.items():
        for text in texts:
            form.add_error(name if name in form.fields else None, text)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    _editorial(request)
    if not workflow.can_create(request.user):
        raise Http404("No such page.")
    if request.method != "POST":
        return _editor_page(request, None)
    form = EditorForm(request.POST, original=services.NEW_SOURCE)
    if form.is_valid():
        text = form.compose()
        try:
            manuscript, checked = services.manuscript_create(user=request.user, source=text)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _saved_message(checked))
            return redirect(manuscript.get_absolute_url())
        return _editor_page(
            request, None, form=form, checked=services.manuscript_check(text), status=400
        )
    return _editor_page(request, None, form=form, status=400)


def _saved_message(checked: services.Checked) -> str:
    errors = sum(1 for f in checked.findings if f["severity"] == "error")
    if errors:
        return f"Saved as a draft. The quality gate reports {errors} error(s) to fix."
    return "Saved."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    manuscript = _manuscript(request, pk)
    if request.method != "POST":
        return _editor_page(request, manuscript)
    if not workflow.can_edit(request.user, manuscript):
        messages.error(request, "You cannot change this manuscript in its present state.")
        return redirect(manuscript.get_absolute_url())
    form = EditorForm(request.POST, original=manuscript.source)
    if not form.is_valid():
        return _editor_page(request, manuscript, form=form, status=400)
    text = form.compose()
    try:
        checked = services.manuscript_save(manuscript=manuscript, user=request.user, source=text)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(manuscript.get_absolute_url())
    except ValidationError as exc:
        _form_errors_from(form, exc)
        checked = services.manuscript_check(text, slug=manuscript.slug)
        return _editor_page(request, manuscript, form=form, checked=checked, status=400)
    messages.success(request, _saved_message(checked))
    return redirect(manuscript.get_absolute_url())


@login_required
@require_POST
def check(request: HttpRequest, pk: int) -> HttpResponse:
    """The pipeline's view of the form's current text, saved or not: JSON for the editor
    (the body's HTML and the findings), or with `full` the whole page as it would be."""
    manuscript = _manuscript(request, pk)
    if workflow.can_edit(request.user, manuscript):
        form = EditorForm(request.POST, original=manuscript.source)
        if not form.is_valid():
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            data = {"html": "", "findings": [], "errors": errors}
            return _private(JsonResponse(data, status=400))
        text, extra = form.compose(), form.cleaned_data["extra"]
    else:  # a read-only form posts nothing (its fields are disabled): the saved text
        text, extra = manuscript.source, decompose(manuscript.source).initial["extra"]
    checked = services.manuscript_check(text, slug=manuscript.slug)
    if request.POST.get("full"):
        return preview.render_preview(request, checked)
    findings = _located(checked, extra)
    data = {
        "html": checked.rendered.html if checked.ok else "",
        "findings": findings,
        "findings_html": render_to_string(
            "editorial/_findings.html", {"findings": findings}, request=request
        ),
    }
    return _private(JsonResponse(data))


@login_required
@require_POST
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    manuscript = _manuscript(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(manuscript.get_absolute_url())
    action = form.cleaned_data["action"]
    try:
        moved = services.transition(
            manuscript=manuscript,
            user=request.user,
            action=action,
            comment=form.cleaned_data["comment"],
            publish_at=form.cleaned_data["publish_on"],
        )
    except (PermissionDenied, services.WorkflowError) as exc:
        messages.error(request, str(exc))
    else:
        label = workflow.ACTIONS[action].label
        state = State(moved.state).label
        if moved.state == State.APPROVED and moved.publish_at:
            when = moved.publish_at.strftime("%Y-%m-%d %H:%M UTC")
            messages.success(request, f"{label}: done. It will be published at {when}.")
        else:
            messages.success(request, f"{label}: done. The manuscript is now “{state}”.")
    return redirect(manuscript.get_absolute_url())


def _store_image(form: ImageUploadForm, manuscript: Manuscript) -> str:
    """Write the checked image where `import_articles --images` publishes; its site URL."""
    store = ImageStore()
    image = form.checked_image
    name = image_name(slug=manuscript.slug, original=form.cleaned_data["image"].name, image=image)
    store.root.mkdir(parents=True, exist_ok=True)
    if contained_file(store.root, name) is None:
        target = store.root.resolve() / name
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass  # the same bytes (the name holds their hash), or a link: checked below
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(image.data)
    if contained_file(store.root, name) is None:
        raise ValidationError("The image could not be stored; try another file name.")
    return f"{store.prefix}{name}"


@login_required
@require_POST
def upload_image(request: HttpRequest, pk: int) -> HttpResponse:
    manuscript = _manuscript(request, pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not workflow.can_edit(request.user, manuscript):
        text = "You cannot change this manuscript in its present state."
        if wants_json:
            return _private(JsonResponse({"errors": {"image": [text]}}, status=403))
        messages.error(request, text)
        return redirect(manuscript.get_absolute_url())
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            url = _store_image(form, manuscript)
        except ValidationError as exc:
            form.add_error("image", exc)
        else:
            markdown = f"![{form.cleaned_data['alt']}]({url})"
            if wants_json:
                return _private(JsonResponse({"markdown": markdown, "url": url}))
            messages.success(request, f"Image uploaded. Paste this where it goes: {markdown}")
            return redirect(manuscript.get_absolute_url())
    if wants_json:
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return _private(JsonResponse({"errors": errors}, status=400))
    return _editor_page(request, manuscript, upload_form=form, status=400)


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    manuscript = _manuscript(request, pk)
    if not roles_of(request.user) & {Role.EDITOR, Role.AUTHOR}:
        raise Http404("No such page.")
    url = request.build_absolute_uri(preview.preview_url(manuscript))
    messages.success(request, url, extra_tags="share")
    return redirect(manuscript.get_absolute_url())


@require_safe
def shared_preview(request: HttpRequest, token: str) -> HttpResponse:
    manuscript = preview.manuscript_for_token(token)
    if manuscript is None:
        raise Http404("This preview link is not valid or has expired.")
    return preview.render_preview(
        request, services.manuscript_check(manuscript.source, slug=manuscript.slug)
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def open_article(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a published article: its manuscript, made the first time (by a POST: a GET
    changes nothing)."""
    _editorial(request)
    if not workflow.can_open_published(request.user):
        raise Http404("No such page.")
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    existing = Manuscript.objects.filter(article=article).first()
    if existing is not None:
        return redirect(existing.get_absolute_url())
    if request.method != "POST":
        return _private(render(request, "editorial/open.html", {"article": article}))
    try:
        manuscript = services.manuscript_for_article(article=article, user=request.user)
    except PermissionDenied as exc:
        raise Http404("No such page.") from exc
    return redirect(manuscript.get_absolute_url())
