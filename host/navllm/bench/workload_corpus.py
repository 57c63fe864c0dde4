"""The work ``navllm bench tasks`` times, written for navllm: an article of about a thousand tokens
to summarise, a paragraph to rewrite, a message to extract fields from as JSON, and a five-turn
chat. Realistic in size and kind, so end-to-end times are those a page would see."""

from __future__ import annotations

from typing import Any

ARTICLE = """\
When the paper mill in Harrow Bend closed eleven years ago, the town lost four hundred jobs and, \
for a while, most of its confidence. The long brick buildings by the river stood empty, the \
railway siding rusted, and the high school's graduating classes grew smaller every spring as \
families moved to the cities along the coast. Today the mill's old boiler house holds something \
the town did not expect to own: a battery large enough to keep the lights on for every home in \
Harrow Bend through a winter evening, charged by solar panels on the roofs of the very buildings \
that once made paper.

The project began with a complaint about electricity bills. In the winter of the mill's closing, \
a retired schoolteacher named Margaret Ellison organised a meeting in the library to ask why \
households in the valley paid nearly a third more for power than those in the nearby city of \
Camford. Forty people came, which surprised her; a hundred and twenty came to the next meeting, \
which surprised everyone. The answer to her question turned out to be simple and discouraging. \
The valley sits at the end of a long transmission line, losses on the line are high, and the \
regional utility spreads the cost of maintaining it over a small number of customers.

Ellison and a handful of volunteers, among them an electrical engineer called Tomás Reyes who had \
worked at the mill for twenty years, spent the next two years studying what other small towns had \
done. They visited a cooperative wind farm in the hills north of the valley and a village in the \
south that had built its own small hydroelectric plant on an old weir. What they learned, Reyes \
says, is that the technical side is rarely the hard part. "Panels and batteries are a catalogue \
purchase now," he said. "What takes years is getting two thousand people to agree on anything, \
and then finding a bank that will lend money to them once they do."

The Harrow Bend Energy Cooperative was founded with three hundred members, each of whom paid one \
hundred dollars for a share. That was nowhere near enough to build anything, but it was enough to \
show the state's rural development fund that the town was serious. The fund agreed to guarantee a \
loan of 6.2 million dollars from a credit union in Camford, on the condition that the cooperative \
found a site it could use for at least thirty years. The mill's owners, who had been trying to sell \
the buildings without success, agreed to lease the roofs and the boiler house for a nominal sum, in \
return for the cooperative taking on the cost of repairing the roofs.

Construction took fourteen months and employed, at its peak, sixty people, most of them from the \
valley. The roofs now carry just over eleven thousand panels with a combined capacity of 4.8 \
megawatts. In the boiler house, where coal was once shovelled into furnaces, rows of lithium iron \
phosphate batteries store up to eighteen megawatt hours, enough to cover the town's demand from \
late afternoon until the morning on all but the darkest days of December. On those days the \
cooperative still buys power from the regional grid, and on bright summer afternoons it sells its \
surplus back.

The results after the first full year have been better than the cooperative's own forecasts. The \
average household bill fell by twenty-three percent, and members received a dividend of forty \
dollars each from the sale of surplus power. Just as important, Ellison says, the town now has a \
reason to believe in its own future. Two small manufacturers have moved into the mill's ground \
floor, attracted by cheap and reliable electricity, and the high school has started an \
apprenticeship programme with the cooperative in which students learn to install and maintain \
solar equipment. Eleven students finished the first year of the course; nine of them have already \
been offered jobs.

Not everyone in Harrow Bend is convinced. Some residents who did not join the cooperative complain \
that members received the dividend while they did not, although their own bills also fell because \
the town's demand on the long transmission line has dropped. Others worry about what will happen \
when the batteries wear out, which the manufacturer expects after about fifteen years. The \
cooperative has set aside a reserve fund for their replacement, but its treasurer, Daniel Okoye, \
admits that the fund will cover only half of the expected cost unless battery prices keep falling. \
There have also been disagreements about governance: at the last annual meeting, a proposal to pay \
the cooperative's two full-time managers higher salaries was defeated by a narrow vote after a long \
and sometimes bitter debate.

The regional utility, which at first opposed the project, has changed its position. Its director \
of planning, Susan Hartley, said that the Harrow Bend battery has reduced strain on the valley's \
transmission line during the evening peak, delaying an upgrade that would have cost the utility \
more than the cooperative's entire project. The utility is now in talks with two other towns at \
the end of long lines about similar arrangements, and it has asked the cooperative to share its \
construction records and its experience with the state regulator.

For Ellison, who is now eighty-one, the project's greatest success is not the lower bills but the \
meetings. "People who had not spoken to each other since the mill closed sat in the same room and \
argued about inverters," she said, laughing. "Then they argued about the dividend, and the \
salaries, and the colour of the sign on the boiler house. That is what a town does when it thinks \
it has a future. We had stopped arguing for a while, and I did not like the quiet.\""""

PARAGRAPH = """\
so basically the new booking system goes live on monday and everyone needs to log in with their \
staff number not their email like before. if you already made bookings in the old system they \
got moved over automatically but please check them because a few came across with the wrong \
room. the help desk is open from 8 to 6 all next week if anything goes wrong, and theres a short \
video on the intranet that shows how to book a room, change a booking and cancel one. please \
dont reply to this email, write to the help desk instead."""

RECORD = """\
Hello, I'd like to register for the regional beekeeping conference. My name is Aino Virtanen and \
I keep twelve hives near Tampere. I'll attend both days, the 14th and 15th of June, and I'm \
bringing my colleague Lars Berg, so please book two places. We'd both like the vegetarian lunch. \
You can reach me at aino.virtanen@example.org or on +358 40 555 0192. Could you also tell me \
whether there is parking near the venue? Thanks!"""

RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string"},
        "phone": {"type": "string"},
        "places": {"type": "integer"},
        "days": {"type": "string"},
        "lunch": {"type": "string"},
        "question": {"type": "string"},
    },
    "required": ["name", "email", "phone", "places", "days", "lunch", "question"],
    "additionalProperties": False,
}

RECORD_PROMPT = "Extract the registration from this message as JSON:\n\n" + RECORD

CHAT = (
    "I'm planning a vegetable garden for the first time. What should I grow in a small sunny backyard?",
    "Which of those are easiest if I only have time at weekends?",
    "How often should I water tomatoes in summer?",
    "What can I do about snails eating the lettuce?",
    "Can you give me a short weekly checklist for all of this?",
)
