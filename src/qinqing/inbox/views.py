from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from qinqing.common.pagination import paginate

from .selectors import messages_of
from .services import mark_read


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(messages_of(request.user), request.GET.get("page"))
    return render(request, "inbox/inbox.html", {"page": page})


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    mark_read(actor=request.user, message_ids=ids or None)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("inbox:inbox")
