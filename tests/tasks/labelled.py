"""A small labelled set for language detection, written for the project: 16 languages × 3 sentences
of everyday prose, short and long, so accuracy is measured rather than assumed."""

from __future__ import annotations

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The library closes early on Fridays, so bring the books back on Thursday.",
        "We missed the last train and had to walk home through the rain.",
        "Could you send me the report before the meeting tomorrow morning?",
    ),
    "fr": (
        "La bibliothèque ferme tôt le vendredi, alors rapporte les livres jeudi.",
        "Nous avons raté le dernier train et nous sommes rentrés à pied sous la pluie.",
        "Pourriez-vous m'envoyer le rapport avant la réunion de demain matin ?",
    ),
    "de": (
        "Die Bibliothek schließt freitags früh, also bring die Bücher am Donnerstag zurück.",
        "Wir haben den letzten Zug verpasst und mussten im Regen nach Hause laufen.",
        "Könnten Sie mir den Bericht vor der Besprechung morgen früh schicken?",
    ),
    "es": (
        "La biblioteca cierra temprano los viernes, así que devuelve los libros el jueves.",
        "Perdimos el último tren y tuvimos que volver a casa caminando bajo la lluvia.",
        "¿Podrías enviarme el informe antes de la reunión de mañana por la mañana?",
    ),
    "it": (
        "La biblioteca chiude presto il venerdì, quindi riporta i libri giovedì.",
        "Abbiamo perso l'ultimo treno e siamo dovuti tornare a casa a piedi sotto la pioggia.",
        "Potresti mandarmi la relazione prima della riunione di domani mattina?",
    ),
    "pt": (
        "A biblioteca fecha cedo às sextas-feiras, então devolva os livros na quinta.",
        "Perdemos o último comboio e tivemos de voltar para casa a pé debaixo de chuva.",
        "Você poderia me enviar o relatório antes da reunião de amanhã de manhã?",
    ),
    "nl": (
        "De bibliotheek sluit op vrijdag vroeg, dus breng de boeken donderdag terug.",
        "We hebben de laatste trein gemist en moesten in de regen naar huis lopen.",
        "Kunt u mij het verslag sturen vóór de vergadering van morgenochtend?",
    ),
    "sv": (
        "Biblioteket stänger tidigt på fredagar, så lämna tillbaka böckerna på torsdag.",
        "Vi missade sista tåget och fick gå hem i regnet.",
        "Kan du skicka rapporten till mig före mötet i morgon bitti?",
    ),
    "pl": (
        "Biblioteka w piątki zamyka się wcześnie, więc oddaj książki w czwartek.",
        "Spóźniliśmy się na ostatni pociąg i musieliśmy wracać do domu pieszo w deszczu.",
        "Czy mógłbyś przesłać mi raport przed jutrzejszym porannym spotkaniem?",
    ),
    "tr": (
        "Kütüphane cuma günleri erken kapanıyor, bu yüzden kitapları perşembe günü getir.",
        "Son treni kaçırdık ve yağmurda eve yürümek zorunda kaldık.",
        "Raporu yarın sabahki toplantıdan önce bana gönderebilir misiniz?",
    ),
    "ru": (
        "По пятницам библиотека закрывается рано, поэтому верни книги в четверг.",
        "Мы опоздали на последний поезд и шли домой пешком под дождём.",
        "Не могли бы вы прислать мне отчёт до завтрашнего утреннего совещания?",
    ),
    "ar": (
        "تغلق المكتبة مبكرًا يوم الجمعة، لذا أعد الكتب يوم الخميس.",
        "فاتنا القطار الأخير واضطررنا إلى المشي إلى البيت تحت المطر.",
        "هل يمكنك أن ترسل لي التقرير قبل اجتماع الغد صباحًا؟",
    ),
    "hi": (
        "पुस्तकालय शुक्रवार को जल्दी बंद हो जाता है, इसलिए किताबें गुरुवार को लौटा देना।",
        "हमारी आख़िरी ट्रेन छूट गई और हमें बारिश में पैदल घर जाना पड़ा।",
        "क्या आप कल सुबह की बैठक से पहले मुझे रिपोर्ट भेज सकते हैं?",
    ),
    "ja": (
        "図書館は金曜日は早く閉まるので、本は木曜日に返してください。",
        "最終電車に乗り遅れて、雨の中を歩いて帰らなければなりませんでした。",
        "明日の朝の会議の前に報告書を送っていただけますか。",
    ),
    "zh": (
        "图书馆星期五关门很早，所以请在星期四把书还回来。",
        "我们错过了最后一班火车，只好冒着雨走回家。",
        "你能在明天上午开会之前把报告发给我吗？",
    ),
    "ko": (
        "도서관은 금요일에 일찍 문을 닫으니 책은 목요일에 반납하세요.",
        "우리는 막차를 놓쳐서 빗속을 걸어서 집에 가야 했다.",
        "내일 아침 회의 전에 보고서를 보내 주실 수 있나요?",
    ),
}
