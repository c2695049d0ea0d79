"""Table groups (tafelindeling): who sits at which table in each session.

For every session the participants who are present are seated at tables so that

* the **hard rules** hold; a plan that breaks one is never returned, the run is refused
  instead (an :class:`~sortition.errors.InfeasibleError` naming the rule):

  - a session has ``ceil(present / table_size)`` tables whose sizes differ by at most
    one, so none seats more than ``table_size``;
  - for every *balance* column, the number of people with each value differs by at most
    one between the tables of a session;
  - pins (this person at this table in this session), keep-together pairs (at the same
    table in every session where both are present) and keep-apart pairs (never at the
    same table) hold;

* then as few pairs as possible meet more than once over the whole programme, earlier
  sessions (the history) included: a pair that meets ``k > 1`` times counts ``k - 1``;
* then the values of the *spread* columns are spread as evenly over the tables as the
  seating allows (the sum of the squared counts per table and value is minimised, which
  the even spread does).

Method
------
1. **Construction**, session by session. People who must sit together form a *unit*.
   The tables are filled one by one (pinned tables first): each gets, of every balance
   value and of the people, the floor or the ceiling of what is left divided by the
   tables left. Whatever is chosen, what is left can still be dealt that way (Baranyai's
   rounding argument), so the last table is always right and with one or two balance
   columns each table's choice exists; it is made greedily (values the table still
   lacks first, then people who have met the fewest of those already seated, then the
   spread columns) with a few random retries. With three or more columns, pins, groups
   or keep-apart pairs the choice can fail; then a greedy placement repaired by a tabu
   search on the number of broken rules is tried, and finally an integer programme
   (HiGHS via SciPy) over the tables' composition decides: it finds a seating or proves
   that none exists, and the rules are then dropped one family at a time to name the
   reason (balance alone, keep-together groups, pins, keep-apart).
2. **Fewer repeated pairs**, first per session and then over all sessions, by tabu
   search (after Dotú and Van Hentenryck's search for the social golfer problem). A
   person with a repeated pair at their table is swapped with someone at another table
   of the same session (or moved to a smaller table) in the way that removes the most
   repeats, among the moves that keep every hard rule; the change in repeats of all
   moves of all conflicted people of a session is computed at once (numpy) from
   per-table counts of "people already met elsewhere", which are updated
   incrementally. Moves are tabu for a few iterations; after a long stall the search
   restarts from the best seating with a few random swaps.

   Each session is searched right after its construction, against the sessions before
   it (and the history), which stay fixed: its repeats are then the pairs at one of its
   tables who met before, a balanced graph partitioning problem whose counts are the
   session's own (``reseat``). A shorter search over all sessions at once follows (ties
   go to the better spread, then chance). Searching the sessions one after the other
   this way leaves fewer repeats than searching them all at once from the construction
   (on 100 people × 8 sessions × tables of 10, a median of 329 against 374, in less
   time; see ``benchmarks/RESULTS.md``).
3. **Spread**: a descent on the spread columns by the same moves, never adding a repeat.

People who are pinned or belong to a keep-together group stay where the construction put
them during steps 2 and 3; the others move around them.

The search is bounded by a number of iterations, not by time, so the same inputs and
seed give the same plan on every machine (``time_limit`` is only a safety net, and a plan
cut short by it says so in its status).

Modules
-------
``people``: the inputs (:class:`TablePeople`, :class:`Seat`). ``problem``: the inputs
checked and indexed (value codes, sessions, units, the rules within one session) and how
far a seating is from the rules. ``construct``: step 1. ``exact``: its integer programme
and the diagnosis of an impossible session. ``reseat``: step 2 for one session.
``search``: step 2 over all sessions, and step 3. ``result``:
:class:`TablePlan` and its figures. ``plan``: :func:`plan_tables`, which runs the steps.
"""

from .people import Seat, TablePeople
from .plan import plan_tables
from .result import (
    STATUS_ITERATIONS,
    STATUS_OPTIMAL,
    STATUS_TIME_LIMIT,
    TABLES_VERSION,
    TablePlan,
)

__all__ = [
    "STATUS_ITERATIONS",
    "STATUS_OPTIMAL",
    "STATUS_TIME_LIMIT",
    "TABLES_VERSION",
    "Seat",
    "TablePeople",
    "TablePlan",
    "plan_tables",
]
