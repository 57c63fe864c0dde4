"""Fixed inputs for ``navllm bench tasks``, written for navllm: what a summary must keep, what a
rewrite must preserve, what a proofreader must fix. Measured, never asserted: the numbers say how
well the model serves each task API, and move when prompts or models change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    text: str
    entities: tuple[str, ...]  # names a faithful summary mentions


@dataclass(frozen=True)
class Fix:
    text: str
    corrected: str


PASSAGES = (
    Passage(
        "The town council of Maplewood voted on Tuesday to rebuild the old stone bridge over the Alder River. "
        "Mayor Helen Ortiz said the bridge, built in 1894, had been closed to cars since a flood damaged its "
        "eastern pier last spring. The work will cost about four million dollars, most of it from a state grant, "
        "and the contractor, Brennan & Sons, expects to finish by next autumn. Shop owners on Mill Street, who say "
        "they lost a third of their customers while the bridge was closed, welcomed the decision.",
        ("Maplewood", "Alder River", "Helen Ortiz", "Brennan"),
    ),
    Passage(
        "Researchers at the University of Tromsø have tracked a group of humpback whales that now spend the "
        "winter in the fjords of northern Norway instead of migrating south. Dr. Ingrid Solberg, who led the "
        "study, says the whales follow large schools of herring that moved into the fjords about a decade ago. "
        "The team fitted twelve whales with satellite tags and found that most stayed within sixty kilometres "
        "of the coast from November to February, feeding at night when the herring rise to the surface.",
        ("Tromsø", "Norway", "Ingrid Solberg", "herring"),
    ),
    Passage(
        "Lumen Robotics, a start-up based in Lyon, has released a warehouse robot that can pick up soft "
        "packages without crushing them. Its chief engineer, Karim Haddad, explained that the gripper uses "
        "air-filled fingers and a camera that estimates how firm each parcel is before touching it. The company "
        "is testing twenty robots with a grocery chain, Marché Vert, and plans to sell them in Germany and Spain "
        "next year if the trial goes well.",
        ("Lumen Robotics", "Lyon", "Karim Haddad", "Marché Vert"),
    ),
    Passage(
        "The Kestrel Public Library will stay open until midnight during exam weeks, its director Samuel Okafor "
        "announced. Students had asked for longer hours in a petition signed by more than two thousand people. "
        "The library will add quiet study rooms on the second floor, lend laptops for up to a week, and serve free "
        "tea after ten in the evening. Volunteers from Kestrel College will help staff the late shifts.",
        ("Kestrel", "Samuel Okafor", "Kestrel College"),
    ),
    Passage(
        "A comet discovered by the amateur astronomer Priya Raman in March will pass closest to the Sun on "
        "the twelfth of August. Observers at the Mauna Kea Observatories say it may become bright enough to see "
        "without a telescope for a few days after sunset, low in the western sky. The comet, named C/2026 F3, "
        "takes roughly six thousand years to orbit the Sun, so this will be its only visit in recorded history.",
        ("Priya Raman", "Mauna Kea", "Sun"),
    ),
    Passage(
        "Farmers in the Douro Valley started the grape harvest two weeks earlier than usual after an unusually "
        "hot and dry summer. The winemaker Teresa Figueiredo said the grapes were small but very sweet, which "
        "could make this year's port wine especially rich. The regional cooperative in Peso da Régua has hired "
        "extra pickers from nearby villages and is running its presses day and night to keep up.",
        ("Douro", "Teresa Figueiredo", "Peso da Régua"),
    ),
)

# A rewrite must keep these words' meaning; the check is that the key words survive.
REWRITES = (
    ("the meeting is moved to thursday because the room is booked on wednesday", ("meeting", "thursday", "wednesday")),
    ("Please send me the invoice for the March order by the end of the week.", ("invoice", "march", "week")),
    ("We regret to inform you that your flight to Lisbon has been cancelled.", ("flight", "lisbon", "cancel")),
    ("hey can u check if the server is down again, the site won't load", ("server", "site", "load")),
    ("The package arrived damaged, so I would like a refund or a replacement.", ("package", "damaged", "refund")),
    ("Our team finished the report two days early thanks to everyone's effort.", ("team", "report", "early")),
)

PROOFREAD = (
    Fix("I recieved your letter yesterday.", "I received your letter yesterday."),
    Fix("She dont like coffee in the morning.", "She doesn't like coffee in the morning."),
    Fix("the train leaves at nine o'clock.", "The train leaves at nine o'clock."),
    Fix("We was happy to see them again.", "We were happy to see them again."),
    Fix("Their going to the park after lunch.", "They're going to the park after lunch."),
    Fix("He has alot of books on his shelf.", "He has a lot of books on his shelf."),
)

# Labelled sentences for language detection: five for each of twelve languages.
LABELLED = {
    "en": (
        "The weather was lovely, so we walked along the river after dinner.",
        "Could you tell me where the nearest post office is?",
        "Our neighbours are building a small greenhouse in their garden.",
        "I forgot my umbrella at the office and got soaked on the way home.",
        "The museum is closed on Mondays but open late on Fridays.",
    ),
    "fr": (
        "Nous avons dîné chez mes grands-parents dimanche dernier.",
        "Pourriez-vous m'indiquer le chemin de la gare, s'il vous plaît ?",
        "Le marché du samedi est plein de fromages et de fruits de saison.",
        "Elle a oublié ses clés dans la voiture avant de partir au travail.",
        "Les enfants jouent dans la cour pendant que la pluie tombe doucement.",
    ),
    "de": (
        "Wir haben gestern Abend einen langen Spaziergang im Wald gemacht.",
        "Können Sie mir bitte sagen, wann der nächste Zug nach Berlin fährt?",
        "Meine Schwester lernt seit drei Jahren Klavier und spielt sehr gut.",
        "Das Restaurant an der Ecke hat leider schon geschlossen.",
        "Im Winter trinken wir oft heißen Tee mit Honig und Zitrone.",
    ),
    "es": (
        "Mañana vamos a visitar a mis tíos que viven cerca de la playa.",
        "¿Sabes a qué hora abre la biblioteca los domingos?",
        "El perro del vecino ladra cada vez que pasa el cartero.",
        "Prefiero leer un buen libro antes que ver la televisión.",
        "La fiesta terminó tarde y todos volvieron a casa cansados.",
    ),
    "it": (
        "Ieri sera abbiamo mangiato una pizza buonissima in centro.",
        "Mi potrebbe dire dove si trova la fermata dell'autobus?",
        "Mia nonna prepara sempre la pasta fatta in casa la domenica.",
        "Il treno per Roma è in ritardo di venti minuti.",
        "D'estate andiamo al mare con tutta la famiglia.",
    ),
    "pt": (
        "Ontem fomos ao cinema e depois jantámos num restaurante novo.",
        "Você sabe onde fica a farmácia mais próxima daqui?",
        "A minha irmã trabalha num hospital no centro da cidade.",
        "Choveu muito durante a noite e as ruas ficaram alagadas.",
        "Gostamos de passear no parque aos fins de semana.",
    ),
    "nl": (
        "We zijn gisteren met de fiets naar het strand gegaan.",
        "Kunt u mij vertellen hoe laat de winkel opengaat?",
        "Mijn broer woont al vijf jaar in een klein dorp bij Utrecht.",
        "Het regende de hele dag, dus we bleven lekker binnen.",
        "Zij drinkt elke ochtend een kop koffie met melk.",
    ),
    "sv": (
        "Vi åkte till landet i helgen och badade i sjön.",
        "Kan du säga mig var närmaste busshållplats ligger?",
        "Min mormor bakar kanelbullar varje lördag.",
        "Det snöade hela natten och vägarna var hala på morgonen.",
        "Barnen leker i parken medan föräldrarna dricker kaffe.",
    ),
    "pl": (
        "Wczoraj wieczorem oglądaliśmy film z przyjaciółmi.",
        "Czy może mi pan powiedzieć, gdzie jest dworzec kolejowy?",
        "Moja mama codziennie rano pije herbatę z cytryną.",
        "W zimie często jeździmy na narty w góry.",
        "Ten sklep jest zamknięty w niedzielę.",
    ),
    "ru": (
        "Вчера мы долго гуляли по парку и кормили уток.",
        "Скажите, пожалуйста, как пройти к станции метро?",
        "Моя сестра учится в университете и изучает историю.",
        "Зимой у нас очень холодно и часто идёт снег.",
        "Мы пили чай на кухне и разговаривали до полуночи.",
    ),
    "ja": (
        "昨日は友達と一緒に公園を散歩しました。",
        "駅までの道を教えていただけますか。",
        "私の母は毎朝早く起きて朝ごはんを作ります。",
        "週末は雨が降ったので、家で本を読みました。",
        "このレストランのラーメンはとても美味しいです。",
    ),
    "zh": (
        "昨天我们和朋友一起去公园散步。",
        "请问最近的地铁站在哪里？",
        "我的妈妈每天早上都喝一杯绿茶。",
        "周末下雨了，所以我们在家看电影。",
        "这家饭店的饺子非常好吃。",
    ),
}
