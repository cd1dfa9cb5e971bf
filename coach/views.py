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
    form = {"goal": "", "title": "", "team": "", "team_goal": ""}
    status = 200
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in form}
        team = team_for_user(user=request.user, slug=form["team"] or None)
        team_goal = (
            selectors.goal_get(user=request.user, goal_id=int(form["team_goal"]))
            if form["team_goal"].isdigit()
            else None
        )
        if team is None:
            messages.error(request, "Choose one of your teams.")
            status = 400
        else:
            try:
                conversation = services.conversation_start(
                    team=team, user=request.user, goal=form["goal"], title=form["title"], team_goal=team_goal
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
        "goals": selectors.goal_list(user=request.user)[:100],
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
        "summaries": list(conversation.summaries.all()),
        "usage": selectors.usage_this_month(team=conversation.team),
        "can_write": services.can_write(user=request.user, team=conversation.team),
        "configured": services.coach_configured(),
        "draft": draft,
        "error": error,
    }
    return render(request, "coach/conversation.html", context, status=status)


def _goal_form(request) -> dict:
    names = ("objective", "sharpe_min", "max_drawdown_min", "dsr_min", "symbols", "start", "end", "trial_budget")
    return {name: request.POST.get(name, "") for name in names}


@login_required
def goal_list(request):
    """The team's goals, and a form to set one."""
    teams = list(team_list_for_user(user=request.user))
    form: dict = {"team": ""}
    status = 200
    if request.method == "POST":
        form = {**_goal_form(request), "team": request.POST.get("team", "")}
        team = team_for_user(user=request.user, slug=form["team"] or None)
        try:
            if team is None:
                raise services.CoachInputInvalid("Choose one of your teams.")
            goal = services.goal_create(team=team, user=request.user, data=form)
        except (PermissionDenied, services.CoachInputInvalid) as exc:
            messages.error(request, str(exc))
            status = 403 if isinstance(exc, PermissionDenied) else 400
        else:
            return redirect("coach-goal", goal_id=goal.pk)
    context = {"teams": teams, "form": form, "goals": selectors.goal_list(user=request.user)[:100]}
    return render(request, "coach/goals.html", context, status=status)


@login_required
def goal_detail(request, goal_id: int):
    """A goal: the best trial against each target, the trial budget, its conversations, and its edit form."""
    goal = selectors.goal_get(user=request.user, goal_id=goal_id)
    if goal is None:
        raise Http404("No such goal.")
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("autopilot") in ("on", "off"):
                services.goal_autopilot_set(goal=goal, user=request.user, on=request.POST["autopilot"] == "on")
            else:
                services.goal_update(goal=goal, user=request.user, data=_goal_form(request))
        except (PermissionDenied, services.CoachInputInvalid) as exc:
            messages.error(request, str(exc))
            status = 403 if isinstance(exc, PermissionDenied) else 400
        else:
            return redirect("coach-goal", goal_id=goal.pk)
    context = {
        "goal": goal,
        "progress": selectors.goal_progress(goal=goal, user=request.user),
        "conversations": goal.conversations.order_by("-updated_at")[:50],
        "can_write": services.can_write(user=request.user, team=goal.team),
        "is_owner": services.is_owner(user=request.user, team=goal.team),
    }
    return render(request, "coach/goal.html", context, status=status)
