"""The review queue: consensus disagreements waiting for a person; pick an answer or dismiss."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from daemon.errors import SwitchboardError
from daemon.wire import ReviewInfo
from tui.format import ms, short, usd, when


class AnswerPanel(VerticalScroll):
    """One model's answer, numbered so that a key picks it."""

    def __init__(self, index: int, review: ReviewInfo) -> None:
        super().__init__(classes="answer panel")
        answer = review.answers[index]
        self.border_title = f"[{index + 1}] {answer.model}"
        self.border_subtitle = f"{ms(answer.latency_ms)} · {usd(answer.cost_usd)}" + (
            f" · g{answer.group}" if answer.group is not None else "")
        self._body = Text(answer.answer or f"(failed: {answer.error})", "" if answer.answer else "red")

    def compose(self) -> ComposeResult:
        yield Static(self._body)


class ReviewScreen(Screen[None]):
    """Open reviews on the left; the selected one's answers side by side on the right."""

    BINDINGS = [
        *(Binding(str(n), f"choose({n - 1})", f"Pick {n}", show=n <= 3) for n in range(1, 8)),
        Binding("d", "choose(None)", "Dismiss"),
        Binding("ctrl+r", "reload", "Reload"),
    ]

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.reviews: list[ReviewInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="review-list-panel", classes="panel") as left:
                left.border_title = "Open reviews"
                yield OptionList(id="review-list")
            with Vertical(id="review-body"):
                yield Static(id="review-prompt", classes="panel")
                yield Horizontal(id="review-answers")
        yield Footer(compact=True, show_command_palette=False)

    def on_screen_resume(self) -> None:
        self.load()

    @property
    def selected(self) -> ReviewInfo | None:
        """The review shown on the right."""
        index = self.query_one(OptionList).highlighted
        return self.reviews[index] if index is not None and index < len(self.reviews) else None

    def action_reload(self) -> None:
        """Fetch the queue again."""
        self.load()

    @work(exclusive=True, group="reviews-load")
    async def load(self) -> None:
        """Fetch the open reviews without blocking the screen."""
        client = self.app.client  # type: ignore[attr-defined]
        if client is None:
            return
        try:
            reviews = await client.reviews()
        except SwitchboardError as exc:
            self.query_one("#review-prompt", Static).update(Text(f"could not read the queue: {exc.message}", "red"))
            return
        self.show_reviews(reviews)

    def show_reviews(self, reviews: list[ReviewInfo]) -> None:
        """Show this queue (keeps the selection on the same review when it is still open)."""
        previous = self.selected.id if self.selected else None
        self.reviews = reviews
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(Text.assemble((f"#{r.id} ", "bold"), (short(r.prompt, 40) or r.trace_id, ""),
                                 (f"\n{when(r.created_at)} · {len(r.answers)} answers", "dim")), id=str(r.id))
            for r in reviews
        )
        ids = [r.id for r in reviews]
        if reviews:
            options.highlighted = ids.index(previous) if previous in ids else 0
        else:
            self._show(None)
        self.query_one("#review-list-panel").border_subtitle = f"{len(reviews)} open"

    @on(OptionList.OptionHighlighted, "#review-list")
    def _highlighted(self) -> None:
        self._show(self.selected)

    def _show(self, review: ReviewInfo | None) -> None:
        self.refresh_bindings()
        prompt = self.query_one("#review-prompt", Static)
        answers = self.query_one("#review-answers", Horizontal)
        answers.remove_children()
        if review is None:
            prompt.update(Text("Nothing to review: consensus disagreements queued for a person appear here.", "dim"))
            return
        prompt.border_title = f"review #{review.id} · trace {review.trace_id} · {review.developer}"
        prompt.update(Text(short(review.prompt, 600) or "(prompt not kept)"))
        answers.mount_all(AnswerPanel(i, review) for i in range(len(review.answers)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer picks only for answers the selected review has (none when the queue is empty)."""
        if action == "choose":
            review = self.selected
            if review is None:
                return False
            index = parameters[0] if parameters else None
            return index is None or int(index) < len(review.answers)  # type: ignore[call-overload]
        return True

    def action_choose(self, index: int | None) -> None:
        """Pick answer ``index`` (its model gets the credit) or dismiss (None)."""
        review = self.selected
        if review is None:
            return
        if index is not None and index >= len(review.answers):
            self.notify(f"review #{review.id} has only {len(review.answers)} answers", severity="warning")
            return
        self.resolve(review.id, index)

    @work(exclusive=True, group="reviews-resolve")
    async def resolve(self, review_id: int, index: int | None) -> None:
        """Send the choice, then show the queue again."""
        client = self.app.client  # type: ignore[attr-defined]
        try:
            await client.resolve_review(review_id, index)
        except SwitchboardError as exc:
            self.notify(f"review #{review_id} was not resolved: {exc.message}", severity="error", timeout=6)
            return
        self.notify(f"review #{review_id} " + (f"resolved: answer {index + 1}" if index is not None else "dismissed"))
        self.load()
