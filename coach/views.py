"""Server-rendered coach pages: the team's conversations with a start form, and a conversation's transcript with
its proposals and the messages still waiting for (or failed to get) a reply. Sending, retrying, launching and
dismissing go through the REST API, and replies stream in over the conversation's WebSocket
(static/coach/coach.js); without JavaScript the form posts here and the page shows the message waiting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.selectors import team_for_user, team_list_for_user
from accounts.services import PermissionDenied
from security.limits import coach_message_check

from . import selectors, services


@login_required
def coach_home(request):
    teams = list(team_list_for_user(user=request.user))
    form = {"goal": "", "title": "", "team": ""}
    status = 200
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in form}
        team = team_for_user(user=request.user, slug=form["team"] or None)
        if team is None:
            messages.error(request, "Choose one of your teams.")
            status = 400
        else:
            try:
                conversation = services.conversation_start(
                    team=team, user=request.user, goal=form["goal"], title=form["title"]
                )
            except (PermissionDenied, services.CoachInputInvalid) as exc:
                messages.error(request, str(exc))
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                return redirect("coach-conversation", conversation_id=conversation.pk)
    context = {
        "teams": teams,
        "form": form,
        "conversations": selectors.conversation_list(user=request.user)[:100],
        "configured": services.coach_configured(),
    }
    return render(request, "coach/home.html", context, status=status)


@login_required
def conversation_detail(request, conversation_id: int):
    conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    if conversation is None:
        raise Http404("No such conversation.")
    draft, error, status = "", "", 200
    if request.method == "POST":
        draft = request.POST.get("text", "")
        coach_message_check(user=request.user, team=conversation.team)
        try:
            services.ask_create(conversation=conversation, user=request.user, text=draft)
        except PermissionDenied as exc:
            error, status = str(exc), 403
        except services.CoachError as exc:
            error = str(exc)
            status = (
                400
                if isinstance(exc, services.CoachInputInvalid)
                else 409
                if isinstance(exc, services.CoachBusy)
                else 503
            )
        else:
            return redirect("coach-conversation", conversation_id=conversation.pk)
    context = {
        "conversation": conversation,
        "transcript": selectors.message_list(conversation=conversation),
        "asks": selectors.ask_open_list(conversation=conversation),
        "usage": selectors.usage_this_month(team=conversation.team),
        "can_write": services.can_write(user=request.user, team=conversation.team),
        "configured": services.coach_configured(),
        "draft": draft,
        "error": error,
    }
    return render(request, "coach/conversation.html", context, status=status)
