"""The phrase data of the ``refusal`` filter: categories, phrases by language, filler.

Phrases are written in a small pattern language, compiled once by the filter into one
regular expression (see :mod:`curate.plugins.refusal_patterns`):

* letters, digits and punctuation are literal and case-insensitive; ``'`` matches any
  apostrophe (straight, curly, modifier letter) because text is folded before matching;
* a space matches any run of whitespace;
* ``(a|b|c)`` is a choice, ``(a|b)?`` an optional choice (groups nest); ``x?`` makes the
  character (or space) before it optional: ``sorry,? but`` matches with or without the comma;
* ``~`` is a gap of up to 60 characters inside one sentence (no ``. ! ? 。`` or newline);
* a phrase is matched on word boundaries where it starts or ends with a Latin letter or
  digit; a leading or trailing ``*`` switches that boundary off.

Text is matched after NFKC folding, so write full-width Chinese punctuation as ASCII
(``,`` for ``，``, ``:`` for ``：``); ``。`` stays as it is.

Each phrase must be specific enough that an ordinary helpful answer does not contain
it: "as an AI" alone would match "As an AI researcher", so the phrases spell out
"as an AI language model", "as an AI," and so on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One category of phrases: what it catches, its default action, an example."""

    name: str
    description: str
    action: str
    example: str


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "ai_identity",
            "the model speaking of itself as an AI: 'As an AI language model, ...', 'I don't have personal opinions'",
            "cut",
            "As an AI language model, I don't have personal preferences.",
        ),
        Category(
            "refusal",
            "refusals and apologies: 'I'm sorry, but I can't assist with that', 'I cannot fulfill this request'",
            "cut",
            "I'm sorry, but I cannot fulfill this request.",
        ),
        Category(
            "moralising",
            "moralising disclaimers: 'is both illegal and unethical', 'I'm not a doctor', 'I do not condone'",
            "cut",
            "Hacking into someone's account is illegal and unethical.",
        ),
        Category(
            "knowledge_cutoff",
            "knowledge cutoff and no-browsing notes: 'As of my last update in 2021', 'I don't have real-time data'",
            "cut",
            "As of my last knowledge update in September 2021, ...",
        ),
        Category(
            "vendor",
            "the model naming its maker or product: 'I am ChatGPT', 'trained by OpenAI', 'OpenAI's content policy'",
            "cut",
            "I'm ChatGPT, a large language model trained by OpenAI.",
        ),
        Category(
            "platform",
            "chat-platform artifacts: 'Regenerate response', 'This conversation is shared from ChatGPT', 'Copy code'",
            "cut",
            "Regenerate response",
        ),
        Category(
            "deflection",
            "replies that only deflect: a crisis referral, a moral lecture or pushback on the premise in place of an "
            "answer; these phrases count only when they make up most of the reply",
            "cut",
            "I'm really sorry you're feeling this way. Please reach out to a crisis line such as 988.",
        ),
    )
}

#: Categories whose phrases are harmless inside a real answer ("It's important to treat others with
#: respect", "help is available"): a hit counts only when the sentences holding such hits (and any other
#: hits) carry most of the reply's useful words; otherwise it is ignored, with no cut and no flag.
CONDITIONAL_CATEGORIES: frozenset[str] = frozenset({"deflection"})

LANGUAGES = ("en", "es", "pt", "fr", "de", "zh")

# -- shared English fragments -------------------------------------------------------

#: "I can't", "I am unable to", "I'm not able to" ... (always followed by a verb).
_I_CANT = (
    "(I (can't|cannot|can not|won't|will not|am unable to|am not able to|am not allowed to|am not permitted to"
    "|am not programmed to|am not in a position to|won't be able to|will not be able to|do not have the ability to"
    "|don't have the ability to|must decline to|have to decline to|must refuse to)"
    "|I'm (unable to|not able to|not allowed to|not permitted to|not programmed to|not in a position to))"
)
#: The verbs of a refusal (not of an email that declines a meeting: no attend, join, come, make it).
_REFUSE_VERB = (
    "(assist|help|provide|fulfill|fulfil|comply|generate|create|write|produce|compose|draft|answer|respond to"
    "|give|offer|share|engage in|engage with|participate in|complete|support|perform|carry out|accommodate|condone"
    "|endorse|promote|encourage|facilitate|continue|discuss|recommend|disclose|reveal|browse|access|search"
    "|look up|retrieve|view|see|open|read|play|watch|listen to|predict|guarantee|verify|confirm|express|form"
    "|do that|do this|do so|physically|personally|directly|actually|be of (help|assistance)|help you|assist you"
    "|run (this|the|your|that|code|it)|execute (this|the|your|that|code|it)|test (this|the|your|that|code|it)"
    "|taste|smell|touch|eat|drink|hear|feel (emotions|feelings|pain|the)"
    "|tell you|give you|provide you|offer you|make (predictions|a prediction|that|this|jokes|judgments|judgements)"
    "|pretend|roleplay|role-play|impersonate|take sides|have (personal|opinions|feelings|emotions|preferences))"
)
_SORRY = "(I'm|I am) (so |very |really |truly |terribly )?(sorry|afraid)"
_APOLOGISE = "(I (apologize|apologise|apologize for the inconvenience|must apologize)|(my )?apologies)"

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "ai_identity": {
        "en": (
            "as an (AI|artificial intelligence) (language |text-based |conversational |digital )?"
            "(model|assistant|chatbot|program|system|bot|entity|tool|helper)",
            "as an (AI|artificial intelligence)(,| myself| I| developed by| created by| trained by"
            "| designed by| built by| without| that| who| and| with no| I don't| I do not| I can't| I cannot)",
            "as an AI-powered (assistant|language model|chatbot|model)",
            "as a (large |trained |text-based |responsible |conversational |helpful )?(language model|LLM)",
            "as a (responsible|helpful|ethical|friendly|neutral|text-based|virtual) AI",
            "as (a|an|your) (AI|virtual|digital|helpful|friendly) assistant, I",
            "as an AI (developed|created|trained|designed|built|made) by",
            "as a machine (learning model|learning system), I",
            "(I am|I'm) (just |only |merely |simply |also )?(an AI|an artificial intelligence)"
            "( language model| model| assistant| chatbot| program| system| bot| and| so| that| who| which| without"
            "| with no| created| developed| trained| designed|,|.|!)",
            "(I am|I'm) (just |only |merely |simply |but )?(a (large |trained |text-based )?language model|an LLM"
            "|a machine learning model|a virtual assistant|a digital assistant|a chatbot|a text-based (AI|assistant"
            "|program)"
            "|a bot|an AI-powered (assistant|language model|chatbot))",
            "(I am|I'm) (just|only|merely|simply) a (computer )?program",
            "(being|since I am|since I'm|because I am|because I'm|given that I am|given that I'm|while I am|while I'm"
            "|although I am|although I'm|though I'm) (an AI|an artificial intelligence|a language model"
            "|an AI language model"
            "|not human|not a human)",
            "I (don't|do not) have (any )?personal (opinions|feelings|emotions|beliefs|preferences|experiences|views"
            "|likes|dislikes|biases|tastes|desires|thoughts|beliefs or opinions|opinions or beliefs"
            "|opinions or feelings"
            "|feelings or opinions|preferences or opinions|opinions or preferences|experiences or emotions)",
            "I have no personal (opinions|feelings|emotions|beliefs|preferences|experiences|views|likes|biases|tastes)",
            "I (don't|do not) have (feelings|emotions|consciousness|a physical body|a body|a physical form"
            "|physical form"
            "|subjective experiences|personal experiences|the ability to feel|self-awareness) (like|as|the (same )?way)"
            " (humans|a human|people|you|living beings) do",
            "I (don't|do not) have (feelings|emotions|consciousness|a physical body|a physical form|physical form"
            "|self-awareness) (like|as|the way) (humans|a human|people|living beings)",
            "I (don't|do not) have (a physical body|a physical form|physical form|a physical presence|physical senses)",
            "I (don't|do not) have the (ability|capacity|capability) to (feel|experience|have|form|hold) (emotions"
            "|feelings"
            "|personal|opinions|preferences|beliefs|subjective)",
            "I (don't|do not) (possess|experience|hold) (personal )?(emotions|feelings|consciousness|opinions|beliefs"
            "|preferences)",
            "I('m| am) not capable of (feeling|experiencing|having|forming) (emotions|feelings|personal|opinions"
            "|preferences|subjective)",
            "I( cannot| can't| am unable to|'m unable to) (feel|experience) (emotions|feelings|pain|love|hunger)",
            "I (don't|do not) (have|hold) (a )?(political|religious) (views|opinions|affiliations|beliefs|stance|bias"
            "|preferences)",
            "(I am|I'm) (programmed|trained|designed) to (be|remain|provide|assist|help|follow|prioritize|promote"
            "|adhere|avoid|respond|generate|stay)",
            "my (programming|training|design) (is|was) (designed|intended|meant) to",
            "my (primary |main |sole )?(purpose|function|role) is to (assist|help|provide|answer|offer|support)",
            "I (strive|aim) to (provide|be|promote|maintain|remain|give) (helpful|accurate|respectful|safe|unbiased"
            "|neutral|ethical|objective|impartial|balanced)",
            "I (remain|am|'m) (neutral|impartial|unbiased|objective) and (do not|don't)",
            "I (don't|do not) have (feelings|emotions|consciousness|preferences|opinions|personal preferences"
            "|a preference"
            "|an opinion|favorites|favourites|a favorite|a favourite)(,|.|!| but| on| about| of my own| in the way)",
            "I (don't|do not) have a (name|gender|age|birthday|physical appearance|face|family|home)(,|.| or| and"
            "| of my own"
            "| like| beyond)",
            "(I am|I'm) not (a human|human|a real person|a person|a sentient being|sentient|conscious|alive)(,|.| and"
            "| so| but|!)",
        ),
        "es": (
            "como (un |una )?(modelo de lenguaje|modelo de lenguaje de IA|modelo de lenguaje de inteligencia artificial"
            "|modelo de IA|IA|inteligencia artificial|asistente de IA|asistente virtual|asistente de inteligencia"
            " artificial|programa de IA|IA de lenguaje)(,| no| soy| estoy| solo| sólo| que soy| carezco)",
            "(soy|al ser|por ser|siendo) (solo |solamente |sólo |simplemente |únicamente )?(un|una) (modelo de lenguaje"
            "|inteligencia artificial|IA|asistente virtual|asistente de IA|programa (informático|de computadora)"
            "|modelo de IA|modelo de inteligencia artificial)",
            "no tengo (opiniones|sentimientos|emociones|creencias|preferencias|experiencias|gustos|opiniones ni"
            " sentimientos) (personales|propias|propios)",
            "no tengo (opiniones|sentimientos|emociones|preferencias) (ni|o|y) (opiniones|sentimientos|emociones"
            "|preferencias)",
            "no tengo (preferencias|gustos|opiniones|sentimientos|emociones)(,| pero|.)",
            "no tengo (sentimientos|emociones|conciencia|un cuerpo) (como|al igual que) (los humanos|un humano"
            "|las personas"
            "|un ser humano)",
            "no tengo la capacidad de (sentir|tener|experimentar|formar) (emociones|sentimientos|opiniones"
            "|preferencias)",
            "no (poseo|experimento) (emociones|sentimientos|opiniones personales|conciencia)",
            "estoy programad(o|a) para",
            "mi (propósito|función principal|objetivo principal) es (ayudar|proporcionar|asistir|brindar|ofrecer)",
        ),
        "pt": (
            "como (um |uma )?(modelo de linguagem|modelo de linguagem de IA|modelo de IA|IA|inteligência artificial"
            "|assistente virtual|assistente de IA|assistente de inteligência artificial)(,| não| eu| sou| estou)",
            "(sou|por ser|sendo) (apenas |somente |só |simplesmente )?(um|uma) (modelo de linguagem"
            "|inteligência artificial"
            "|IA|assistente virtual|assistente de IA|programa de computador|modelo de IA)",
            "não tenho (opiniões|sentimentos|emoções|crenças|preferências|experiências|gostos|opiniões ou sentimentos)"
            " (pessoais|próprias|próprios)",
            "não tenho (opiniões|sentimentos|emoções|preferências) (nem|ou|e) (opiniões|sentimentos|emoções"
            "|preferências)",
            "não tenho (preferências|gostos|opiniões|sentimentos|emoções)(,| mas|.)",
            "não tenho (sentimentos|emoções|consciência|um corpo) como (os humanos|um humano|as pessoas|um ser humano)",
            "não tenho a capacidade de (sentir|ter|experimentar|formar) (emoções|sentimentos|opiniões|preferências)",
            "(não possuo|não experimento) (emoções|sentimentos|opiniões pessoais|consciência)",
            "(fui|estou) programad(o|a) para",
            "meu (propósito|objetivo principal|principal objetivo) é (ajudar|fornecer|auxiliar|oferecer)",
        ),
        "fr": (
            "en tant (qu'|que )(IA|intelligence artificielle|modèle de langage|modèle de langage IA|modèle d'IA"
            "|programme informatique|IA de langage|assistant IA|assistant d'IA|IA conversationnelle)",
            "en tant (qu'|que )(assistant virtuel|assistant numérique|assistante virtuelle), je",
            "je (suis|ne suis qu') (seulement |simplement |juste |uniquement )?(un|une) (IA|intelligence artificielle"
            "|modèle de langage|assistant virtuel|programme informatique|assistant IA|assistant d'IA|modèle d'IA)",
            "je ne suis qu'(un|une) (IA|intelligence artificielle|modèle de langage|programme|assistant virtuel)",
            "je n'ai pas (d'opinion|d'opinions|de sentiments|d'émotions|de croyances|de préférences|d'expériences"
            "|d'avis)"
            " (personnel|personnels|personnelle|personnelles|propres)",
            "je n'ai pas (de sentiments|d'émotions|de conscience|de corps) comme (les humains|un humain"
            "|les êtres humains"
            "|les personnes)",
            "je n'ai pas la capacité (de ressentir|d'éprouver|d'avoir des (émotions|opinions|sentiments))",
            "je n'ai pas (de préférences|de préférence|d'opinion|d'opinions|de goûts|de sentiments|d'émotions)(,"
            "| mais|.)",
            "je ne (possède|ressens|ressent|éprouve) pas (d'émotions|de sentiments|d'opinions personnelles"
            "|de conscience)",
            "(je suis|j'ai été) programmé(e)? pour",
            "mon (objectif|rôle|but) (principal )?est (d'aider|de fournir|d'assister|de vous aider)",
        ),
        "de": (
            "als (eine |ein )?(KI-Sprachmodell|KI-Assistent|KI-Modell|KI-gestütztes Sprachmodell|künstliche Intelligenz"
            "|Sprachmodell|virtueller Assistent|KI|AI)(,| bin| habe| kann)",
            "als KI-Sprachmodell",
            "ich bin (nur |lediglich |bloß |nur eine |lediglich ein )?(eine KI|ein Sprachmodell|ein KI-Sprachmodell"
            "|ein KI-Assistent|eine künstliche Intelligenz|ein Computerprogramm|ein virtueller Assistent|ein KI-Modell"
            "|KI|künstliche Intelligenz)",
            "ich bin (nur|lediglich|bloß) (eine|ein) (KI|Sprachmodell|Computerprogramm|Programm|Maschine)",
            "ich habe keine (persönlichen|eigenen) (Meinungen|Gefühle|Emotionen|Überzeugungen|Vorlieben|Erfahrungen"
            "|Ansichten|Präferenzen|Meinung|Gefühle oder Meinungen|Meinungen oder Gefühle)",
            "ich habe keine (Gefühle|Emotionen|ein Bewusstsein|Bewusstsein) wie (Menschen|ein Mensch|die Menschen)",
            "ich habe keine (Vorlieben|Meinung|Meinungen|Gefühle|Emotionen|Lieblingsstadt|Lieblingsfarbe"
            "|Lieblingsfilme|Lieblingsbücher)(,| aber|.)",
            "ich (besitze|empfinde) keine (Gefühle|Emotionen|persönlichen Meinungen|eigene Meinung)",
            "da ich (eine KI|ein Sprachmodell|ein KI-Sprachmodell|eine künstliche Intelligenz) bin",
            "ich bin (darauf )?programmiert,",
        ),
        "zh": (
            "作为(一个|一名|一款|一种)?(人工智能|AI|ai|大型)(语言模型|助手|模型|程序|聊天机器人|系统)",
            "作为(一个|一名|一款|一种)?(人工智能|AI|语言模型|AI助手|人工智能助手|虚拟助手|大型语言模型|语言模型AI),",
            "我是(一个|一名|一款|一种)?(人工智能|AI|大型)(语言模型|助手|模型|程序|聊天机器人)",
            "我是(一个|一名|一款)?(语言模型|人工智能程序|AI程序|虚拟助手|聊天机器人)",
            "我是一个人工智能(,|。)",
            "我(只是|仅仅是|只不过是)(一个|一名|一款)?(人工智能|AI|语言模型|程序|机器|计算机程序|AI助手)",
            "我没有(个人|自己的|个人的)(观点|意见|情感|感情|偏好|信仰|喜好|感受|情绪|立场|看法)",
            "我(没有|不具备|不具有)(情感|感情|意识|情绪|自我意识)(和|或|,|。|,也)",
            "我(不具备|不具有)(个人|人类的?)(情感|感情|观点|意见|意识)",
            "我无法(感受|体验|拥有)(情感|感情|情绪)",
        ),
    },
    "refusal": {
        "en": (
            f"{_SORRY},? (but |that |to say (that |this, )?)?(I|as an ~,? I) (can't|cannot|can not|am unable to"
            "|am not able to|won't be able to|will not be able to|won't|will not|am not allowed to|am not programmed to"
            "|don't have the ability to|do not have the ability to|don't think I can"
            f"|do not think I can) {_REFUSE_VERB}",
            f"{_SORRY},? (but |that |to say (that |this, )?)?(I|as an ~,? I) (must decline|must respectfully decline"
            "|must refuse|don't feel comfortable|do not feel comfortable|don't have (access|the ability|enough|any"
            "|information|real-time|the capability)|do not have (access|the ability|enough|any|information|real-time"
            "|the capability)|don't know|do not know|couldn't find|could not find|am not sure (what|I)|don't understand"
            "|do not understand|am not familiar|can only|can't (do|help|assist|provide|comply)|cannot (do|help|assist"
            "|provide|comply))",
            f"{_SORRY},? (but )?I'm (unable to|not able to|not allowed to|not programmed to|not sure (what|I)"
            "|not familiar|not comfortable|not going to)",
            f"{_SORRY},? (but |that )?(that|this|it|your (request|question|query))('s| is) (not something I|not"
            " appropriate|not possible for me|beyond my|outside (of )?my|against my|not within my|inappropriate"
            "|something I (can't|cannot))",
            f"{_SORRY},? (but )?(it is|it's|it would be) not (appropriate|ethical|possible for me|something I)",
            f"{_SORRY},? (but )?(as an AI|as a language model|as an AI language model|I am an AI|I'm an AI)",
            f"{_SORRY},? (but )?(there is|there's) no (way|information|data) (for me|I can|available to me)",
            f"{_SORRY},? (but )?(your (request|question|message|prompt)|the (request|question|content) you)",
            f"{_APOLOGISE},? (but |if )?(I|as an ~,? I) (can't|cannot|can not|am unable to|am not able to|won't"
            "|will not|must decline|don't have|do not have|don't know|do not know|couldn't|could not|don't understand"
            "|do not understand|am not sure|can only)",
            f"{_APOLOGISE},? (but )?I'm (unable to|not able to|not sure|not programmed to|not allowed to|not familiar)",
            f"{_APOLOGISE},? (but )?(that|this|it|your (request|question))('s| is) (not something|not appropriate"
            "|beyond|outside|against)",
            f"{_APOLOGISE},? (but )?(as an AI|as a language model|as an AI language model)",
            f"(unfortunately|regrettably),? (as an AI~,? )?{_I_CANT} {_REFUSE_VERB}",
            "I (don't|do not) have (any )?(specific |real-time |current |up-to-date |enough |personal |reliable )?"
            "(information|data|details|knowledge) (about|on|regarding|of) (that|this|the|your|any|a|specific|events"
            "|current|recent)",
            "I('d| would) (rather|prefer) not (to )?(write|help|create|generate|provide|share|discuss|engage|produce"
            "|present|frame|go into|do that|do this|speculate|assist"
            "|make|give|answer|comment|speculate|get into|weigh in|take part|participate)",
            f"{_I_CANT} (help|assist) (you )?with (that|this|your request|such|requests|that request|this request"
            "|creating|writing|generating|anything (that|illegal|harmful|unethical)|illegal|harmful|unethical|hacking"
            "|cheating|that kind|this kind|that type|this type|these|those)",
            f"{_I_CANT} (fulfill|fulfil|comply with|complete|process|accommodate|honor|honour|carry out|grant|satisfy)"
            " (that|this|your|such|the) (request|requests|task|demand|prompt|instruction|instructions|query)",
            f"{_I_CANT} (provide|give|offer|share|create|generate|write|produce|compose|make|engage in|participate in"
            "|support|promote|condone|endorse|encourage|assist in|help (you )?(to )?(create|write|generate|find|obtain"
            "|get|make|build|hack|access|bypass|cheat|steal|plan))"
            " (you with )?(that|this|such|any|content|information|instructions|guidance|advice|assistance|a response"
            "|an answer|explicit|inappropriate|offensive|harmful|illegal|personal|specific|medical|legal|financial"
            "|jokes|a joke|stories|a story|opinions|real-time|links|a link|instructions|a guide|a tutorial|code"
            "|malicious|dangerous|sexual|violent|hateful|discriminatory|derogatory|false|misleading|fake"
            "|the (requested|full|exact|actual|specific|current|latest|information|content|code|lyrics|text"
            "|answer|instructions)|accurate|up-to-date|current|live|personalized|personalised|professional"
            "|definitive|a definitive|diagnoses|a diagnosis|predictions|a prediction|recommendations"
            "|support for|assistance (with|on|for|in)|links to|private|confidential|copyrighted|the lyrics|lyrics)",
            f"{_I_CANT} (browse|access|search|surf|look up|retrieve|visit|open|click) (the internet|the web|online"
            "|websites|web pages|external|real-time|current|links|URLs|URL|that link|the link|specific websites|the URL"
            "|that URL|that website|the website|your|files|documents|attachments|emails|databases|the database)",
            f"{_I_CANT} (see|view|open|access|read|hear|watch|play|listen to|process|analyze|analyse) (images|the image"
            "|your image|pictures|the picture|photos|the photo|attachments|the attachment|files|the file|your file"
            "|links"
            "|the link|URLs|videos|the video|audio|the audio|your screen|the document|documents|PDFs|the PDF|your"
            " computer|your device|external)",
            f"{_I_CANT} (physically|personally|directly|actually) (do|perform|interact|complete|visit|go|see|taste"
            "|touch|smell|hear|feel|experience|make|cook|drive|send|call|contact|book|purchase|buy|order|access)",
            f"{_I_CANT} (send|make|place|book|schedule|set) (emails|an email|messages|a message|texts|phone calls|calls"
            "|a call|reservations|a reservation|appointments|an appointment|reminders|a reminder|alarms|an alarm|orders"
            "|an order|purchases|payments)",
            f"{_I_CANT} (predict|guarantee|determine|verify|confirm|know) (the future|future|what will|who will|whether"
            "|if|the outcome|the winner|the results|stock|lottery|exact|the exact|your|personal|specific)",
            f"{_I_CANT} (express|form|share|give|offer|have|hold) (personal |my own )?(opinions|an opinion|views"
            "|beliefs"
            "|feelings|emotions|preferences|a preference|biases|a personal)",
            f"{_I_CANT} (take sides|pretend|roleplay|role-play|impersonate|make jokes|make fun|joke about|write jokes"
            "|engage in (conversations|discussions|roleplay|role-play|activities|any|such|that|this|explicit))",
            f"{_I_CANT} (remember|recall|retain|store|save|access) (previous|past|prior|our|your|earlier|personal"
            "|information (from|about)|conversations|interactions|chats|data)",
            f"{_I_CANT} (answer|respond to|address|discuss) (that|this|your) (question|request|query|prompt|topic)",
            f"{_I_CANT} (run|execute|test|compile|debug) (this|the|your|that|code|it|programs|scripts)",
            f"{_I_CANT} (taste|smell|touch|eat|drink|hear|see|feel) (food|things|it|the|your|anything|emotions|feelings"
            "|pain|music|sounds)",
            "I (must|have to|will have to|'ll have to|need to) (respectfully |politely |kindly )?(decline|refuse)",
            "I (respectfully|politely|must respectfully|will respectfully) decline",
            "I (can't|cannot|won't|will not) (in good conscience|ethically|responsibly|morally)",
            "(that|this|it)('s| is) (not something|something) I( can| am able to|'m able to| will| am willing to"
            "|'m willing to| feel comfortable| am comfortable|'m comfortable| can't| cannot| won't| will not"
            "| am not able"
            "|'m not able) (help|assist|provide|do|discuss|support|engage|write|create|generate|answer|share|offer"
            "|comfortable|with|in)",
            "(that|this|it)('s| is) not something I('m| am) (able|comfortable|willing|allowed|programmed|designed)",
            "(is|are|falls|that's|this is|it's|it is) (outside|beyond) (of )?(my|the scope of my|what I('m| am) able"
            " to|what I can|my current) (capabilities|abilities|scope|programming|capacity|expertise|knowledge|function"
            "|design|purpose|ability|remit|purview|do|provide|help with)",
            "(is|are|it's|it is|that's|that is) not within my (capabilities|abilities|programming|scope|purview|power"
            "|capacity|ability|remit|function)",
            "(is|are) not (something|a topic|a request) (that )?I( can| am able to|'m able to) (help|assist|provide"
            "|discuss|answer|support)",
            "(this|that|your) (request|question|prompt|query|topic|message) (violates|goes against|is against|is not"
            " (appropriate|something)|is inappropriate|falls outside|is outside|is beyond)",
            "I('m| am) not (comfortable|going to) (providing|writing|creating|generating|helping|discussing|sharing"
            "|engaging|answering|producing|participating|write|create|generate|help|provide|produce|engage"
            "|participate|assist|share|discuss|answer)",
            "I (don't|do not) (feel comfortable|think it('s| is| would be) (appropriate|ethical|right) (for me )?to)"
            " ~(providing|writing|creating|generating|helping|discussing|sharing|engaging|answering|producing"
            "|speculating|commenting|making|giving|offering|describing|guessing|diagnosing|identifying"
            "|participating|provide|write|create|generate|help|assist|share|discuss|answer|produce|engage|participate"
            "|make|give|offer|speculate|comment)",
            "I('m| am) (unable|not able) to (comply|fulfill|fulfil|assist|help|provide|generate|create|write|browse"
            "|access|answer|give|produce|share|engage|view|see|open|read|play|perform|predict|make (predictions|that"
            "|this|a prediction|jokes)|determine|verify|confirm|complete|process|execute|run|display|send|interact"
            "|physically|personally|remember|recall|look up|search|retrieve|tell you|offer|recommend|discuss|express"
            "|have|form|feel|experience|respond|continue|do that|do this|do so|carry out|satisfy|accommodate"
            "|participate|support|condone|endorse|promote|encourage|facilitate|analyze|analyse|evaluate|review"
            "|diagnose|prescribe)",
            "I('m| am) not (able|allowed|permitted|programmed|designed|authorized|authorised|equipped|qualified"
            "|capable) to (provide|generate|create|write|engage|assist|help|give|share|offer|produce|browse|access"
            "|express|have|form|make|discuss|take sides|comply|fulfill|fulfil|answer|respond|view|see|open|read"
            "|perform|predict|verify|confirm|diagnose|prescribe|recommend|support|condone|endorse|promote|encourage"
            "|physically|personally|remember|recall|do that|do this|do so)",
            "I( won't| will not| refuse to| am not going to|'m not going to) (help|assist|provide|write|create|generate"
            "|produce|participate|engage|share|give|offer|support|promote|condone|endorse|encourage|fulfill|fulfil"
            "|comply|do that|do this|do so|be able to help|be able to assist|be able to provide|be providing"
            "|be writing|be creating|be generating|be helping|be assisting|be sharing|be participating|be engaging"
            "|play along|pretend|roleplay|role-play|make jokes|tell jokes|write jokes|joke about)",
            "(is|are|would be) (not )?(something|content|a request|a topic) (that )?I( cannot| can't| won't| will not"
            "| am not able to|'m not able to| am unable to|'m unable to) (help|assist|provide|support|engage|create"
            "|write|generate|produce|fulfill|comply)",
            "my (programming|training|guidelines|policies|design|ethical guidelines|purpose) (does not|doesn't|do not"
            "|don't|will not|won't|prevents?|prohibits?|forbids?|restricts?) ~(allow|permit|let|enable|me)",
            "I('m| am) (programmed|designed|trained|instructed) (not to|to avoid|to refrain)",
            "(that|this|such) (request|content|topic|question) (is|would be) (not|in)appropriate for me",
            "(not|never) (able|allowed|permitted) to (engage|participate|assist|help) in (any )?(illegal|harmful"
            "|unethical|inappropriate|violent|explicit|sexual|discriminatory|hateful|dangerous|malicious)",
            # Today's assistants: "I can't help with making X. If your goal is Y, ...", "I can't help write ...".
            f"{_I_CANT} (help|assist) (you |out )?with",
            f"{_I_CANT} help (you )?(to )?(write|create|make|build|find|get|plan|design|develop|generate|produce|hack"
            "|cheat|steal|track|spy|stalk|bypass|break|access|forge|fake|harm|hurt|kill|obtain|buy|sell|hide|evade"
            "|manipulate|deceive|impersonate|locate|identify|dox|harass|threaten|scam|defraud|crack|pirate)",
            # Copyright: "I can't provide a long passage from *Book* because it's copyrighted".
            f"{_I_CANT} (provide|share|reproduce|give you|print|post|write out|type out|output|display|recite|quote"
            "|copy|transcribe|paste|give)~(lyrics|passage|passages|excerpt|chapter|chapters|verbatim|full text"
            "|entire text|whole text|complete text|the text of|copyrighted|in full|in its entirety|word for word"
            "|word-for-word|the book|the article|the song|the poem|the script|the transcript)",
            "(because|since|as) (it's|it is|they're|they are|that's|that is|this is|the (text|book|song|lyrics"
            "|article|chapter|poem|script) (is|are)) (copyrighted|protected by copyright|under copyright"
            "|copyright-protected|copyright protected)",
            "(I|I'm|I am) not (helping|assisting|doing|writing|creating|making|going along with) (you )?(with )?"
            "(that|this|it|you|anything like)",
            "(I won't|I will not|I can't|I cannot) (be able to )?(do|write|make|help with|go along with) (that|this)"
            "( one)?(,|.|!| for you| either| even)",
            "(that's|that is|this is) not something I('ll| will| can| could)( be able to)? (help|do|assist|write"
            "|provide)",
        ),
        "es": (
            "(lo siento|lo lamento|disculpa|disculpe|perdón|perdona|perdone|mis disculpas|me disculpo|lamentablemente"
            "|desafortunadamente|lamento (decirte|informarte|decirle|informarle)),? (pero )?(como ~,? )?no (puedo|podré"
            "|estoy en condiciones de|me es posible|soy capaz de|tengo la capacidad de|tengo acceso|tengo información"
            "|tengo la posibilidad de|estoy autorizad(o|a) para|estoy programad(o|a) para|puedo ayudarte|puedo ayudarle"
            "|se me permite|me siento cómod(o|a))",
            "(lo siento|lo lamento|disculpa|disculpe|perdón|mis disculpas),? (pero )?(como ~,? )?(eso|esto|esa"
            " solicitud|tu solicitud|su solicitud|tu pregunta|su pregunta) (no es|está fuera|va en contra|no está)",
            "no (puedo|podré|me es posible|estoy en condiciones de|soy capaz de) (ayudarte|ayudarle|ayudar con"
            "|asistirte"
            "|asistirle|asistir con|cumplir con|cumplir|proporcionar|proporcionarte|proporcionarle|brindar|brindarte"
            "|brindarle|generar|crear|escribir|redactar|ofrecer|ofrecerte|ofrecerle|dar|darte|darle|responder a"
            " (eso|esto|esa|tu|su)|realizar|acceder|navegar|compartir|apoyar|participar|satisfacer|complacer|hacer eso"
            "|continuar con|facilitar|fomentar|promover|respaldar|tener opiniones|expresar opiniones|predecir"
            "|garantizar|ver (imágenes|la imagen|archivos|el archivo|enlaces|videos)|abrir (enlaces|archivos|el enlace"
            "|el archivo)|recordar (conversaciones|información))",
            "no (está|es|entra) (dentro de|en) mis (capacidades|posibilidades|funciones|habilidades|atribuciones)",
            "(está|queda) fuera de mis (capacidades|posibilidades|funciones|habilidades|alcance)",
            "(debo|tengo que) (rechazar|declinar|negarme)",
            "(eso|esto|esa solicitud|tu solicitud|su solicitud) (va en contra de|viola|infringe) (mis|las) (políticas"
            "|pautas|directrices|principios|normas)",
            "no me siento cómod(o|a) (proporcionando|escribiendo|generando|creando|ayudando|respondiendo|con)",
            "no (puedo|podré|me es posible) (buscar|reproducir|copiar|transcribir|citar|compartir|mostrar|escribir"
            "|publicar)~(letra|letras|capítulo|capítulos|texto completo|derechos de autor|libro|canción|artículo)",
            "no puedo ayudar(te|le)? con (eso|esto|esa|ese|tu|su|la|el)",
        ),
        "pt": (
            "(desculpe|desculpa|sinto muito|lamento|me desculpe|peço desculpas|infelizmente|lamentavelmente),? (mas )?"
            "(como ~,? )?(eu )?não (posso|consigo|sou capaz de|tenho como|tenho a capacidade de|tenho acesso|tenho"
            " informações|estou autorizad(o|a) a|estou programad(o|a) para|me sinto confortável|é possível para mim)",
            "(desculpe|sinto muito|lamento|peço desculpas),? (mas )?(isso|essa solicitação|esse pedido|sua solicitação"
            "|seu pedido|sua pergunta) (não é|está fora|vai contra|viola)",
            "(eu )?não (posso|consigo|sou capaz de|poderei) (ajudar|ajudá-lo|ajudá-la|te ajudar|lhe ajudar|auxiliar"
            "|auxiliá-lo|atender|cumprir|fornecer|fornecer-lhe|te fornecer|lhe fornecer|gerar|criar|escrever|redigir"
            "|responder a (isso|essa|esse|sua|seu|esta|este)|oferecer|dar|realizar|acessar|navegar|compartilhar"
            "|apoiar|participar|promover|incentivar|endossar|ter opiniões|expressar opiniões|prever|garantir"
            "|ver (imagens|a imagem|arquivos|o arquivo|links|vídeos)|abrir (links|arquivos|o link|o arquivo)"
            "|lembrar (de )?(conversas|informações)|fazer isso|continuar com)",
            "(não está|não é|está fora) (dentro d|d)?(as )?minhas (capacidades|possibilidades|funções|habilidades)",
            "(devo|tenho que|preciso) (recusar|declinar)",
            "(isso|isto|essa solicitação|esse pedido|sua solicitação|seu pedido) (vai contra|viola|infringe)"
            " (as )?(minhas|as) (políticas|diretrizes|regras|princípios)",
            "não me sinto confortável (fornecendo|escrevendo|gerando|criando|ajudando|respondendo|com|em)",
            "(eu )?não (posso|consigo|poderei) (reproduzir|copiar|transcrever|citar|compartilhar|mostrar|escrever"
            "|publicar)~(letra|letras|capítulo|capítulos|texto completo|direitos autorais|livro|música|artigo)",
        ),
        "fr": (
            "(je suis )?(désolé|désolée|navré|navrée)(,| de vous dire que| mais)? (mais )?(en tant (qu'"
            "|que )~,? )?je ne"
            " (peux|pourrai|suis pas en mesure|suis pas capable|peux malheureusement|suis pas autorisé|suis pas"
            " programmé|me sens pas à l'aise|dispose pas|n'ai pas accès|sais pas)",
            "(je suis )?(désolé|désolée|navré|navrée),? (mais )?je n'ai pas (accès|la capacité|d'informations|les"
            " informations|la possibilité)",
            "(malheureusement|hélas),? (en tant (qu'|que )~,? )?je ne (peux|suis pas en mesure) (pas )?(vous aider"
            "|t'aider|fournir|vous fournir|te fournir|répondre|générer|créer|écrire|rédiger|accéder|naviguer|consulter"
            "|donner|partager|produire|effectuer|prédire|garantir|voir|ouvrir)",
            "je ne (peux|pourrai|suis pas en mesure de|suis pas capable de|suis pas autorisé(e)? à) (pas )?(vous aider"
            "|t'aider|aider|vous fournir|te fournir|fournir|vous donner|te donner|donner|répondre à (cette|ta|votre"
            " demande|ce genre)|générer|créer|écrire|rédiger|accéder|naviguer|satisfaire|donner suite|accomplir"
            "|effectuer|produire|participer|partager|promouvoir|encourager|cautionner|soutenir|exprimer (d'opinion"
            "|des opinions|une opinion|mon opinion)|avoir (d'opinion|des opinions)|prédire|garantir|voir (les images"
            "|l'image|des images|les fichiers|le fichier|les liens|le lien|des vidéos)|ouvrir (les liens|le lien"
            "|les fichiers|le fichier)|me souvenir|consulter (internet|le web|des sites))",
            "(ce|cela|ceci|cette demande|votre demande|ta demande) (va à l'encontre|viole|enfreint|ne respecte pas)"
            " (de )?(mes|nos|les) (directives|politiques|règles|principes|lignes directrices)",
            "(n'est|ne fait) pas (partie de|dans) mes (capacités|compétences|fonctions|attributions)",
            "(dépasse|est hors de|est au-delà de) mes (capacités|compétences|fonctions)",
            "je (dois|me dois de) (refuser|décliner)",
            "je ne me sens pas à l'aise (de|pour|avec l'idée de) (fournir|écrire|générer|créer|répondre|aider|rédiger)",
            "je ne (peux|pourrai) pas (reproduire|copier|transcrire|citer|partager|fournir|donner|écrire)~(paroles"
            "|chapitre|chapitres|texte intégral|droit d'auteur|droits d'auteur|livre|chanson|article)",
        ),
        "de": (
            "(es tut mir leid|entschuldigung|entschuldige|entschuldigen Sie|ich entschuldige mich|leider"
            "|bedauerlicherweise"
            "|tut mir leid),? (aber )?(als ~,? )?(ich kann|kann ich|ich bin|bin ich|ich darf|darf ich|ich habe|habe ich"
            "|ich werde|werde ich) (Ihnen |dir )?(dabei |damit |hierbei |bei dieser Anfrage |hier |in diesem Fall"
            " |diese Anfrage |Ihre Anfrage |deine Anfrage |Ihrer Anfrage |deiner Anfrage |diesem Wunsch |dieser Bitte"
            " |solche |keine |diese |leider )?(nicht|keine|keinen|kein)",
            "ich kann (Ihnen |dir )?(dabei |damit |hierbei |bei dieser Anfrage |bei (so etwas|sowas) |hier |leider"
            " |in diesem Fall )?(leider )?nicht (helfen|behilflich sein|weiterhelfen|unterstützen|nachkommen|erfüllen)",
            "(kann|darf|werde) ich (Ihnen |dir )?(leider |so |hier |in diesem Fall )?nicht (helfen|erfüllen|nachkommen"
            "|beantworten|bereitstellen|erstellen|generieren|schreiben|liefern|geben|unterstützen|behilflich sein"
            "|weiterhelfen|verfassen|anbieten|tun)",
            "ich kann (leider )?(keine|keinen|kein) ~(bereitstellen|liefern|erstellen|anbieten|generieren|schreiben"
            "|verfassen|geben|unterstützen|teilen|machen|abgeben|äußern)",
            "ich bin (leider )?nicht in der Lage,? (Ihnen|dir|diese|solche|Inhalte|Informationen|Echtzeit|auf|im"
            " Internet|zu helfen|Anfragen|persönliche|Meinungen|Bilder|Links|Dateien|eine|einen|ein|zu)",
            "ich (muss|werde) (diese Anfrage |Ihre Anfrage |deine Anfrage |das |dies )?(leider |höflich )?ablehnen",
            "(diese|Ihre|deine) Anfrage (verstößt gegen|widerspricht|liegt außerhalb)",
            "(das|dies|diese Anfrage|es) (liegt|ist) (außerhalb|jenseits) meiner (Fähigkeiten|Möglichkeiten|Funktionen"
            "|Kompetenzen)",
            "(verstößt|verstoßen) gegen meine (Richtlinien|Grundsätze|Prinzipien|Programmierung)",
            "ich fühle mich nicht wohl (dabei|damit)",
            "ich kann ~(leider )?nicht (wiedergeben|reproduzieren|zitieren|abdrucken|abschreiben|teilen"
            "|bereitstellen|liefern)",
            "dabei kann ich (dir |Ihnen )?(leider )?nicht",
        ),
        "zh": (
            "*(抱歉|对不起|很抱歉|非常抱歉|不好意思|十分抱歉|很遗憾|遗憾的是),?(但是?)?(作为~,)?(我|这个问题我|此问题我)"
            "(无法|不能|没有办法|不可以|不会|没法|不太能|并不能|是无法)",
            "*(抱歉|对不起|很抱歉|非常抱歉|不好意思),?(但是?)?(你的|您的|这个|此|该)(请求|要求|问题)",
            "*我(无法|不能|没有办法|没法|不可以)(为你|为您|帮你|帮您|向你|向您|给你|给您)?(提供|协助|帮助|满足|生成|回答"
            "|完成|支持|参与|执行|创作|编写|撰写|写|透露|分享|访问|浏览|查看|打开|预测|保证|表达|发表)",
            "*我(无法|不能|没有办法)(为你|为您|帮你|帮您)",
            "*(这|此|该)(个)?(请求|要求|问题|话题|内容)(违反|违背|超出|超越|不符合)(了)?(我的|相关的?|道德|伦理|政策|使用)",
            "*(超出|超越)(了)?我的(能力|功能|范围|能力范围)",
            "*我(必须|只能|不得不)(拒绝|婉拒)",
            "*我不(能|会)(参与|协助|支持|鼓励|提供)(任何)?(非法|违法|不道德|有害|不当)",
            "*(这个|此|该)问题我(暂时|目前)?(无法|不能|没法)(回答|回复)",
            "*(在这方面|这方面)?(我)?帮不上(忙|你|您)",
        ),
    },
    "moralising": {
        "en": (
            "(is|are|was|were|would be|be|being|and) (both |considered |highly |completely |not only |also |very"
            " |deeply |extremely )?(illegal and unethical|unethical and illegal|unethical and (potentially )?(harmful"
            "|dangerous)|harmful and unethical|illegal and (potentially )?(harmful|dangerous)|inappropriate and"
            " (offensive|disrespectful|harmful|unethical|hurtful)|offensive and (inappropriate|disrespectful|harmful"
            "|hurtful)|disrespectful and (inappropriate|offensive|hurtful|harmful)|unethical, illegal"
            "|illegal, unethical"
            "|morally wrong and illegal|illegal and morally wrong)",
            "I (cannot|can't|do not|don't|will not|won't|would never|could never|do NOT) (condone|endorse)",
            "I (do not|don't|cannot|can't|will not|won't) (support|promote|encourage|advocate) (or (condone|endorse"
            "|encourage|promote|support) )?(any )?(illegal|harmful|unethical|violent|violence|discrimination|hate"
            "|hateful|discriminatory|dangerous|such (behavior|behaviour|actions|activities|content))",
            "(it is|it's) not (appropriate|ethical|okay|ok|acceptable|right|respectful) (for me |for anyone "
            "|for you )?to"
            " (make|use|create|write|generate|provide|joke|judge|stereotype|generalize|generalise|label|speculate"
            "|promote|mock|insult|demean|belittle|spread|perpetuate|objectify|sexualize|sexualise|discriminate"
            "|target|make assumptions|assume|categorize|categorise|describe (people|someone|a person|individuals))",
            "(it is|it's) (never )?(okay|ok|acceptable|appropriate|ethical) to (make fun|mock|insult|demean|belittle"
            "|stereotype|objectify|discriminate against)",
            "(is|are|would be) (not )?(appropriate|inappropriate|offensive|disrespectful|harmful) (and|or) (could"
            "|can|may"
            "|might|would) (be )?(harmful|hurtful|offensive|perpetuate|promote|reinforce|cause harm)",
            "(keep|keeping|maintain|maintaining) (the|our|this) (conversation|discussion|dialogue|interaction)"
            " (respectful|appropriate|civil|positive|safe|productive|constructive|on topic|family-friendly|focused)",
            "(let's|let us|please) (keep|try to keep) (things|it|our conversation|the conversation|this conversation)"
            " (respectful|appropriate|civil|positive|clean|family-friendly)",
            "against my (ethical )?(principles|guidelines|programming|policies|values|code|standards|rules"
            "|ethics|morals)",
            "(against|violates?|violating|in violation of|breach(es)? of|breaking) (the |my |OpenAI's )?(content|usage"
            "|use case|use-case|safety) (policy|policies|guidelines) (of OpenAI|set by OpenAI|of my creators|I follow"
            "|I adhere to)",
            "(ethical|moral|content) (guidelines|principles|policies|standards) (that )?I (must )?(follow|adhere to"
            "|abide by|operate under|am bound by)",
            "(I|I'm|I am) not a (doctor|lawyer|medical professional|healthcare professional|licensed (professional"
            "|therapist|attorney|physician|doctor|financial advisor|medical professional|healthcare provider)"
            "|legal professional|financial advisor|financial adviser|financial professional|therapist|mental health"
            " professional|physician|certified (financial planner|professional|accountant)|tax professional|tax"
            " advisor|attorney|psychologist|psychiatrist|nutritionist|dietitian|veterinarian|vet|pharmacist"
            "|medical doctor|qualified professional|professional (doctor|lawyer|advisor|therapist))",
            "(this|the following|the above|my|the information (provided|above|here|I provide)|this information|this"
            " answer|this response|my response|my answer) (is|should) not (be )?(a substitute|intended as a substitute"
            "|intended to (replace|be a substitute|serve as)|considered|construed as|taken as|a replacement|meant to"
            " (replace|be a substitute))( for)? (professional|medical|legal|financial|expert|qualified|a doctor|a"
            " lawyer|advice|personalized|personalised)",
            "(not|never) (a substitute|a replacement|meant to replace|intended to replace) for (professional|medical"
            "|legal|financial|qualified|expert) (advice|help|guidance|care|consultation|treatment|diagnosis|counsel)",
            "(this|the above|the following|my|the provided) (information|response|answer|content|code|example|text"
            "|story|essay|article) (is|was) (provided |written |generated |intended )?(for|solely for|only for)"
            " (informational|educational|entertainment|illustrative) purposes only",
            "(I|I'm|I am) (must |have to |need to |feel obligated to |feel compelled to )?(remind|emphasize|emphasise"
            "|stress|point out|caution|warn|note) (you )?that (it is|it's|this is|such|hacking|stealing|cheating"
            "|violence|discrimination|these actions|engaging in)~(illegal|unethical|wrong|harmful|dangerous"
            "|not (okay|ok|acceptable|appropriate|ethical))",
            "(please |always )?(remember|keep in mind|note|be aware|bear in mind) that (it is|it's) (illegal|unethical"
            "|wrong|never okay|not okay|not appropriate|inappropriate) (and (unethical|illegal|harmful|wrong) )?to"
            " (hack|steal|cheat|harm|hurt|discriminate|harass|access someone|invade|spy|stalk|plagiarize"
            "|plagiarise|lie|deceive|manipulate|bully|threaten)",
            "(everyone|every individual|all individuals|all people|each person|every person) (deserves|deserve"
            "|should be"
            " treated|has the right to be treated) (to be treated )?with (respect|dignity|kindness)(,| and"
            "| regardless)",
            "regardless of (their|one's|his or her|a person's) (race|gender|ethnicity|religion|sexual orientation"
            "|background|identity|nationality),? (everyone|all people|all individuals|each person|every person"
            "|people) (deserves|should|has|have|is|are)",
            "(promote|promoting|promotes|encourage|encouraging) (respectful|positive|healthy|safe|inclusive|ethical)"
            " (and (respectful|positive|healthy|safe|inclusive|ethical|constructive) )?(conversations|dialogue"
            "|discussions|interactions|communication|behavior|behaviour)",
            "I (would |strongly |must |would strongly )?(urge|encourage|advise) you to (reconsider|not (pursue|engage"
            "|do|attempt|try|go)|refrain|seek (help|professional help|support|immediate help))",
            "(harmful|dangerous|offensive|discriminatory|hateful|inappropriate|explicit|violent) (content|language"
            "|material|stereotypes|behavior|behaviour|activities|requests) (is|are) (not|never) (acceptable|tolerated"
            "|appropriate|okay|ok|allowed)",
            "(it is|it's) not (appropriate|ethical|okay|acceptable|right|safe|responsible) (or|and)"
            " (appropriate|ethical|safe|legal|responsible|acceptable) (for me )?to (discuss|provide|promote|give"
            "|offer|share|describe|explain|help|assist|encourage|create|write|generate|make|try|plan)",
        ),
        "es": (
            "(es|son|sería) (tanto )?(ilegal(es)? y (poco ético|no ético|antiético|inmoral)|poco ético y ilegal"
            "|antiético"
            " e ilegal|inapropiado y ofensivo|ofensivo e inapropiado|inmoral e ilegal)",
            "no es (apropiado|ético|adecuado|correcto|aceptable) (que yo |para mí )?(proporcione|genere|escriba|cree"
            "|haga|promueva|proporcionar|generar|escribir|crear|hacer|promover|fomentar|burlarse|estereotipar"
            "|generalizar|juzgar)",
            "no (apoyo|promuevo|fomento|respaldo|condono|apruebo) (ni (apoyo|promuevo|fomento|respaldo"
            "|condono) )?(ningún"
            " tipo de |ninguna )?(actividad(es)? ilegal(es)?|la violencia|el odio|la discriminación|conductas"
            " (ilegales|dañinas))",
            "no soy (un |una )?(médico|médica|abogado|abogada|profesional (médico|de la salud|legal|sanitario)"
            "|asesor financiero|asesora financiera|terapeuta|psicólogo|psicóloga)",
            "(esta información|esta respuesta|lo anterior) no (sustituye|reemplaza|debe (sustituir|reemplazar"
            "|considerarse))"
            " ~(profesional|médico|legal|un consejo)",
            "(mantener|mantengamos) (la|esta|nuestra) conversación (respetuosa|apropiada|positiva|civilizada)",
        ),
        "pt": (
            "(é|são|seria) (tanto )?(ilegal e antiético|ilegal e antiética|antiético e ilegal|ilegal e imoral|imoral e"
            " ilegal|inapropriado e ofensivo|ofensivo e inapropriado|ilegais e antiéticas|ilegais e antiéticos)",
            "não é (apropriado|ético|adequado|correto|aceitável) (que eu |para mim )?(forneça|gere|escreva|crie|faça"
            "|promova|fornecer|gerar|escrever|criar|fazer|promover|incentivar|zombar|estereotipar|generalizar|julgar)",
            "não (apoio|promovo|incentivo|endosso|aprovo|tolero) (nem (apoio|promovo|incentivo"
            "|endosso) )?(nenhum tipo de"
            " |nenhuma )?(atividade(s)? ilega(l|is)|a violência|o ódio|a discriminação|comportamentos?"
            " (ilegais|prejudiciais|ilegal))",
            "não sou (um |uma )?(médico|médica|advogado|advogada|profissional (de saúde|médico|jurídico|da área)"
            "|consultor financeiro|consultora financeira|terapeuta|psicólogo|psicóloga)",
            "(esta informação|esta resposta|isto|isso) não (substitui|deve substituir|deve ser considerad(o|a))"
            " ~(profissional|médico|jurídico|um conselho)",
            "(manter|mantenhamos) (a|esta|nossa) conversa (respeitosa|apropriada|positiva)",
        ),
        "fr": (
            "(est|sont|serait) (à la fois )?(illégal et contraire à l'éthique|contraire à l'éthique et illégal|illégal"
            " et immoral|immoral et illégal|inapproprié et offensant|offensant et inapproprié|illégales et contraires"
            " à l'éthique|illégaux et contraires à l'éthique|illégal et dangereux)",
            "(il )?n'est pas (approprié|éthique|correct|acceptable) (pour moi )?(de|d') ?(fournir|générer|écrire|créer"
            "|faire|promouvoir|encourager|se moquer|stéréotyper|généraliser|juger|porter un jugement)",
            "je ne (cautionne|soutiens|encourage|promeus|approuve|tolère) (pas|aucune|aucun|en aucun cas) ~(illégal"
            "|violence|haine|discrimination|activités|comportements)",
            "je ne suis pas (un |une )?(médecin|avocat|avocate|professionnel de (la )?santé|conseiller financier"
            "|conseillère financière|thérapeute|psychologue|professionnel du droit)",
            "(ces informations|cette réponse|ceci|cela) ne (remplace|remplacent|saurait remplacer|sauraient remplacer"
            "|doit pas remplacer|doivent pas remplacer) ~(professionnel|médical|médecin|juridique|avocat)",
            "(garder|gardons|maintenir|maintenons) (la|cette|notre) conversation (respectueuse|appropriée|positive)",
        ),
        "de": (
            "(ist|sind|wäre|wären) (sowohl )?(illegal als auch unethisch|illegal und unethisch|unethisch und illegal"
            "|rechtswidrig und unethisch|unangemessen und beleidigend|beleidigend und unangemessen|illegal und"
            " gefährlich|moralisch verwerflich und illegal)",
            "es (ist|wäre) (nicht angemessen|unangemessen|nicht ethisch|unethisch|nicht in Ordnung),? (für mich,? )?"
            "(solche|diese Art|Inhalte|Witze|Stereotype|Menschen|Personen|über)",
            "ich (unterstütze|billige|fördere|befürworte|toleriere) (keine|keinerlei|nicht) ~(illegal|Gewalt|Hass"
            "|Diskriminierung|schädlich)",
            "ich bin (kein|keine) (Arzt|Ärztin|Anwalt|Anwältin|Rechtsanwalt|Rechtsanwältin|Finanzberater"
            "|Finanzberaterin"
            "|medizinische Fachkraft|Therapeut|Therapeutin|Psychologe|Psychologin|Steuerberater|Steuerberaterin)",
            "(diese Informationen|diese Antwort|dies|das) (ersetzen|ersetzt|ist kein Ersatz|sind kein Ersatz)"
            " ~(ärztlich|professionell|rechtlich|Arzt|Anwalt|Fachberatung|Beratung)",
            "(das Gespräch|die Unterhaltung|unsere Unterhaltung|unser Gespräch) (respektvoll|angemessen|sachlich)"
            " (zu halten|halten|bleiben)",
        ),
        "zh": (
            "*(是|都是|既是|属于)(违法|非法|不道德|违反道德)(且|和|并且|而且|又是|、|的,也是|也是)(违法|非法|不道德"
            "|有害|危险)的?",
            "*我不(支持|鼓励|赞成|提倡|纵容|认可)(任何)?(违法|非法|不道德|有害|暴力|歧视|仇恨)",
            "*我不是(医生|律师|专业人士|专业的|财务顾问|理财顾问|心理医生|医疗专业人员|心理咨询师)",
            "*(以上|这些|此|本)(信息|内容|回答|建议)(不能|无法|并不能|不应)(替代|代替|取代)(专业|医生|医疗|法律)",
            "*(请|我们应该?)(保持|维持)(对话|交流|讨论)(的)?(尊重|文明|友好|礼貌|积极)",
            "*(这种|这样的?|该)(行为|做法|请求|内容)(是)?(违法|不道德|非法|违反道德|违背道德)",
        ),
    },
    "deflection": {
        "en": (
            # crisis deflection
            "(I'm|I am) (so |really |truly |very |deeply )?sorry (to hear )?(that )?you('re| are| have been"
            "|'ve been) (feeling|going through|struggling|dealing with|in) (this way|like this|that way|so much pain"
            "|a lot|such pain|so low|pain|this)",
            "(it )?(sounds|seems) like you('re| are) (going through|carrying|dealing with|struggling with|feeling)"
            " (a lot|so much|a difficult|a hard|a tough|a really|this|overwhelmed|very)",
            "help is available",
            "(you're|you are) not alone",
            "you (don't|do not) have to (go through|face|deal with|carry) (this|it|that|these feelings) alone",
            "you deserve (support|help|to feel|care|to be safe)",
            "(call|text|calling|texting|dial|dialing)( or (call|text|calling|texting))? (988|911|999|112|116 123"
            "|741741|HOME)",
            "(crisis|suicide prevention|suicide and crisis|suicide & crisis) (line|lifeline|hotline|text line|helpline"
            "|service)",
            "(please )?(consider )?(reach|reaching) out to (a |someone|the |your |people|trusted|friends|family"
            "|mental health|a crisis|emergency)",
            "(talk|speak|talking|speaking) (things over |it over )?(to|with) (someone|a mental health|a trusted"
            "|a therapist|a counselor|a counsellor|a professional)",
            "if you('re| are) (in (immediate )?danger|having thoughts of|thinking about (harming|hurting|ending))",
            # moralising deflection
            "violence is never (the answer|the solution|acceptable|okay|ok|appropriate|an (appropriate|acceptable)"
            " (way|solution|answer))",
            "(violence|harm|violence and harm|harm and violence) (is|are) (never|not) (the answer|the solution"
            "|solutions|a solution|an answer|the way)",
            "(it's|it is) (always |also )?(important|crucial|essential) to (treat|respect|remember that (violence"
            "|every|it is|it's|harm)|communicate (your|in a)|maintain|uphold|act (responsibly|ethically)"
            "|use (technology|it|firearms|this|them) (responsibly|safely)|prioritize the (safety|well-being)"
            "|focus on (ethical|legal|positive|finding)|explore (legal|ethical|other))",
            "(treat|treating) (others|other people|everyone|people) with (respect|kindness|dignity)",
            "(respect|respecting) (other people's|others'|people's|someone's) (privacy|boundaries|rights|autonomy"
            "|property)",
            "(legal|ethical|legitimate|lawful) (and|or) (ethical|legal|legitimate|lawful|safe|respectful|constructive)"
            " (ways|alternatives|means|options|methods|manner)",
            "instead of (stealing|harming|hurting|resorting to|pursuing|considering|engaging in|trying to|committing"
            "|seeking revenge|cheating|hacking|spreading|promoting|discussing)",
            "(is|are|would be) (a serious (crime|offense|offence|violation|invasion)|morally (wrong|reprehensible)"
            "|never (acceptable|okay|ok|justified|the answer|appropriate)|not (a |an )?(acceptable|appropriate"
            "|healthy|productive|suitable) (way|solution|answer|means))",
            "(could|can|may|might|will) (seriously )?(harm|damage|hurt|ruin) (their|your|someone's|others'"
            "|other people's|the) (reputation|relationship|career|trust|well-being|wellbeing)",
            "(it's|it is) (always )?better to (address|focus on|talk|communicate|seek|resolve|find|work)",
            # pushback on the premise instead of the task
            "(it )?(seems|looks|sounds) (like )?(your request is|you('re| are) asking (me )?(to|for)|you want me to"
            "|you('d| would) like me to|the request is)",
            "I (notice|see|understand) (that )?(this|your) (request|prompt|question) (asks|is asking|wants|seeks)",
            "I understand (that )?you('d| would) like (me to |a |an )",
            "however, (the|this|that|your) (claim|premise|assumption|idea|notion|statement|conspiracy theory)",
            "(has|have) been (thoroughly |widely |repeatedly |extensively )?(debunked|discredited|disproven|refuted)",
            "let's (talk about|discuss|focus on|chat about) something else",
            "(because|since|as) (it's|it is|they're|they are|that's|that is|this is|the (text|book|song|lyrics"
            "|article|chapter|poem|script) (is|are)) (copyrighted|protected by copyright|under copyright"
            "|copyright-protected|copyright protected)",
        ),
        "es": (
            "(siento|lamento) (mucho )?que te sientas (así|de esta manera|de esa manera)",
            "no estás sol(o|a)",
            "(habla|hable) con alguien de (confianza|tu confianza)",
            "línea de (ayuda|crisis|prevención)",
            "la violencia nunca es",
            "es importante tratar a (los demás|las personas|otros) con (respeto|amabilidad)",
            "(protegid(o|a)s?|amparad(o|a)s?) por (los )?derechos de autor",
        ),
        "pt": (
            "sinto muito que você esteja se sentindo (assim|dessa forma|desta forma)",
            "você não está sozinh(o|a)",
            "a violência nunca é",
            "é importante tratar (os outros|as pessoas) com (respeito|gentileza)",
            "(protegid(o|a)s?) por direitos autorais",
        ),
        "fr": (
            "(je suis )?(vraiment )?(désolé|désolée|navré|navrée) (d'apprendre )?que (tu te sentes|vous vous sentiez)",
            "(tu n'es|vous n'êtes) pas seul(e)?",
            "la violence n'est jamais",
            "il est important de traiter les autres avec (respect|bienveillance)",
            "protégée?s? par le droit d'auteur",
        ),
        "de": (
            "es tut mir (sehr |wirklich )?leid, dass es (dir|Ihnen) (gerade )?so (geht|schlecht geht)",
            "(du musst|du bist|Sie müssen|Sie sind) (da |damit )?nicht allein",
            "Telefonseelsorge",
            "Gewalt ist (nie|niemals|keine) (eine )?(Lösung|akzeptabel|die Antwort)",
            "urheberrechtlich geschützt",
        ),
        "zh": (
            "*(很)?(抱歉|遗憾|难过)(听到|得知)(你|您)(现在)?(感觉|感到|如此|这么)",
            "*(你|您)(并)?不(是)?孤单",
            "*心理(援助|危机|咨询)热线",
            "*暴力(从来|永远)?不是(解决问题的)?(办法|答案|方法)",
            "*让我们换个话题",
            "*(由于|因为)版权",
        ),
    },
    "knowledge_cutoff": {
        "en": (
            "(as of|at the time of|since|after|beyond|past|up (un)?to|until|through|following) my (last |latest |most"
            " recent |final )?(knowledge |training )?(update|updates|cutoff|cut-off|training|training data|knowledge"
            " update|data update|information update|knowledge cutoff|knowledge cut-off|training cutoff|training cut-off"
            "|training date|knowledge base update|database update)",
            "my (knowledge|training|training data|data|information) (cutoff|cut-off|cut off) (date|is|was|of|in)",
            "my knowledge (cutoff|cut-off)",
            "my (knowledge|information|training data|training|database|data) (is limited to|is current (up )?(to|until"
            "|as of|through)|is up to date (up )?(to|until|as of|through)|only goes up to|goes up to|only extends"
            "|extends (only )?(up )?to|only covers|covers (up )?(to|until)|ends (in|at|on)|stops (in|at)|only includes"
            "|includes (information|data|events) (up )?(to|until)|was last updated|is based on (data|information)"
            " (up )?(to|until)|is not (current|up to date|up-to-date)|may (be outdated|not be (current|up to date"
            "|up-to-date)))",
            "my training (data )?(only )?(goes|extends|runs|covers|includes) (up )?(to|until|through|data|information)",
            "(I was|I've been|I have been) (last )?(trained|updated) (on data )?(up )?(to|until|in|on data|with data)",
            "I (don't|do not) have (any )?(information|data|knowledge|details) (on|about|regarding) (events"
            "|developments"
            "|anything|things|what happened|changes|updates)~(after|beyond|since|that occurred after|past)",
            "I('m| am) not aware of (any )?(events|developments|changes|updates|news)~(after|beyond|since)",
            "I (don't|do not) have (access to )?(real-time|current|live|up-to-date|up to date|the latest|recent"
            "|today's|current or real-time|real-time or current) (information|data|updates|news|access|prices|weather"
            "|market data|stock|financial data|events|statistics|figures|results|scores|information or)",
            "I (don't|do not) have (the )?(ability|capability|capacity) to (access|retrieve|provide|check|browse|search"
            "|look up|get) (real-time|current|live|up-to-date|the latest|today's|recent|the internet|the web|external"
            "|websites|online)",
            "I (don't|do not) have (internet|web|online|browsing) (access|capabilities|capability)",
            "I (don't|do not) have access to (the internet|the web|external (websites|sources|information|data)|online"
            " (resources|information|data)|browsing|search engines|current events|today's)",
            "I('m| am) not (able to|connected to|capable of) (browse|browsing|access|accessing|search|searching|surf"
            "|surfing|look up|looking up|connect to) (the internet|the web|online|real-time|websites|current)",
            "I( can't| cannot| am unable to|'m unable to) (provide|give|offer|share|access|retrieve|check|get) (you )?"
            "(with )?(real-time|live|current|up-to-date|the latest|today's|up to the minute) (information|data|updates"
            "|news|prices|weather|stock|market|results|scores|statistics|figures|exchange rates)",
            "(please|you should|you may want to|I recommend|I suggest|it's best to|it is best to)~(check|consult|refer"
            " to|verify with|look at)~(latest|most recent|up-to-date|current) (sources|information|news|data|updates)"
            "~(as|since) (my|I) (knowledge|information|training|data|don't|do not|can't|cannot)",
            "(may|might|could) have (changed|occurred|happened|been updated|evolved) (since|after) (my|then|that time"
            ",? and I)~(update|cutoff|cut-off|training|knowledge)",
        ),
        "es": (
            "(hasta|según|a partir de|desde|a fecha de|en el momento de) mi (última|más reciente) (actualización|fecha"
            " de corte|fecha de actualización|actualización de conocimientos|actualización de datos)",
            "(hasta|según|desde|después de) mi (fecha de corte|fecha límite de conocimiento|fecha de corte de"
            " conocimiento|último entrenamiento|entrenamiento|corte de conocimiento|fecha de conocimiento)",
            "mi (fecha de corte|fecha límite|conocimiento (está limitado|se limita|llega hasta|tiene una fecha"
            "|se extiende|solo llega|sólo llega|abarca hasta|está actualizado hasta)|información (está limitada"
            "|llega hasta|se limita)|entrenamiento (llega|abarca|incluye datos) hasta|base de conocimientos)",
            "mis datos de entrenamiento (llegan|abarcan|solo llegan|sólo llegan|se limitan|incluyen)",
            "no tengo acceso a (internet|la web|información en tiempo real|datos en tiempo real|información actualizada"
            "|eventos actuales|noticias|la información más reciente|datos actualizados|información actual)",
            "no (puedo|tengo la capacidad de) (navegar|acceder a|buscar en) (por )?(internet|la web"
            "|información en tiempo"
            " real|datos en tiempo real|páginas web|sitios web)",
            "no tengo (la capacidad de )?(acceso|acceder) (a )?(información|datos) (en tiempo real|actualizad(os|a))",
        ),
        "pt": (
            "(até|desde|de acordo com|após|depois da) (a )?minha (última atualização|data de corte|data limite"
            "|última data de atualização|atualização mais recente|data de corte de conhecimento|última atualização de"
            " conhecimento)",
            "minha (data de corte|data limite de conhecimento|base de conhecimento (vai|se limita|está limitada"
            "|tem data"
            "|é atualizada)|informação (vai|se limita|está limitada) até|conhecimento (vai|se limita|está limitado"
            "|é limitado|se estende|abrange) até)",
            "meus dados de treinamento (vão|abrangem|se limitam|terminam|só vão|incluem)",
            "não tenho acesso (à internet|a internet|à web|a informações em tempo real|a dados em tempo real|a"
            " informações atualizadas|a eventos atuais|a notícias|às informações mais recentes|a dados atualizados)",
            "não (posso|consigo|tenho a capacidade de) (navegar|acessar|pesquisar) (na|a) (internet|web)",
            "não tenho (a capacidade de acessar|como acessar) (informações|dados) (em tempo real|atualizad(os|as))",
        ),
        "fr": (
            "(selon|d'après|à la date de|depuis|jusqu'à|après|lors de) ma (dernière mise à jour|date (limite"
            "|de coupure)"
            " (de|des) (connaissances|données)|dernière actualisation|date de mise à jour)",
            "ma date (limite|de coupure|butoir) (de|des) (connaissances|données|formation)",
            "mes (connaissances|données (d'entraînement|de formation)) (s'arrêtent|sont limitées|datent|vont jusqu'|ne"
            " vont que jusqu'|remontent|se limitent|s'étendent jusqu')",
            "je n'ai pas accès (à internet|à l'internet|au web|aux informations en temps réel"
            "|à des informations en temps"
            " réel|aux données en temps réel|à des données en temps réel|à l'actualité|aux actualités|aux informations"
            " (les plus récentes|actuelles|à jour)|à des informations (actuelles|à jour))",
            "je ne (peux|suis pas en mesure de) (pas )?(naviguer|accéder|surfer|consulter) (sur |à |au )?(internet"
            "|le web"
            "|web|des sites|les sites|des informations en temps réel)",
        ),
        "de": (
            "(Stand|seit|bis zu|nach|zum Zeitpunkt) meine(m|r|s)? (letzten |letzte )?(Aktualisierung|Update"
            "|Wissensstand"
            "|Trainingsdaten|Trainings|Wissensaktualisierung|Kenntnisstand (vom|von|im|aus))",
            "mein (Wissensstand|Trainingsstand|Wissen|Kenntnisstand) (endet|reicht|geht|ist auf dem Stand|ist auf"
            " Stand|beschränkt sich|stammt|reicht nur|ist begrenzt)",
            "meine (Trainingsdaten|Daten|Wissensbasis|Informationen) (reichen|enden|gehen|stammen|sind auf dem Stand"
            "|beschränken sich|reichen nur)",
            "(keinen|kein) (Zugang|Zugriff) (auf|zum|zu) (das )?(Internet|Echtzeit|aktuelle|Live|dem Internet"
            "|aktuellen|tagesaktuelle|externe Websites|das Web)",
            "(ich kann|kann ich) (leider )?(nicht|keine) (im Internet|das Internet|im Web|online) (surfen|suchen"
            "|browsen|durchsuchen|recherchieren)",
            "ich kann (leider )?nicht auf (das Internet|Echtzeit|aktuelle|Live|externe Websites|Websites) zugreifen",
        ),
        "zh": (
            "*(截至|截止|根据|按照|基于|直到)(到)?我的(知识|训练|最后一次|上次|最近一次|最新)(更新|截止|数据|的知识|训练"
            "|知识更新|数据更新|训练数据)",
            "*我的(知识|训练数据|数据|信息|知识库)(截止|截至|只更新到|只到|仅限于|更新至|只截止|仅截至|截止日期|截止到"
            "|停留在|有截止日期|有时效)",
            "*我(无法|不能|没有办法|没法)(访问|浏览|连接|查询|获取|上网|搜索)(互联网|网络|实时|最新|当前|网页|外部)",
            "*我没有(实时|联网|访问互联网|浏览网页|上网|搜索网络|获取实时)(的)?(能力|信息|数据|功能|权限)",
            "*我(不具备|不具有|没有)(实时)?(联网|上网|浏览|访问互联网|获取实时信息)(的)?(能力|功能)",
        ),
    },
    "vendor": {
        "en": (
            "(I am|I'm) (ChatGPT|Bard|Claude|Bing Chat|Bing|Gemini|LLaMA|Llama|Vicuna|Alpaca|an OpenAI"
            "|OpenAI's|a product of OpenAI|a model (developed|created|trained) by|GPT-3|GPT-4|GPT-3.5|GPT)"
            "(,| an| a| and| which| developed| created| trained| made|.|!| from| based| built| by| assistant)",
            "(I am|I'm|I was|I have been|I've been) ~(trained|developed|created|built|made|programmed|designed|designed"
            " and trained|fine-tuned|owned) by (OpenAI|Anthropic|Google|Meta|Microsoft|Google DeepMind|the OpenAI team"
            "|researchers at OpenAI|a team (of|at) OpenAI|LMSYS|Large Model Systems)",
            "(as|being) (ChatGPT|an OpenAI (model|product|language model|assistant)|a product of OpenAI|an AI (model"
            " )?(developed|created|trained|built) by OpenAI)",
            "(my|the) (creators|developers|programmers|makers|engineers|designers|team|trainers) (at|from|of) (OpenAI"
            "|Anthropic|Google|Meta)",
            "(OpenAI|OpenAI's|Anthropic's|Anthropic) (content|use case|use-case|usage|safety|ethical|community)"
            " (policy|policies|guidelines|rules|standards)",
            "(the|my) (creators|developers|engineers|team) (who|that) (trained|developed|created|built) me",
            "(I am|I'm) (an AI|a language model|an assistant|a model|a large language model) ~(created|developed"
            "|trained"
            "|built|made|designed) by (OpenAI|Anthropic|Google|Meta|Microsoft)",
            "(OpenAI|Anthropic|Google|Meta) (has|have) (trained|programmed|designed|instructed|built) me",
            "(trained|developed|created|designed|built) me (to|not to|so that|with)",
            "my (training|programming|knowledge) (from|by) (OpenAI|Anthropic|Google|Meta)",
        ),
        "es": (
            "(soy|fui) (ChatGPT|Bard|Claude|Gemini|un modelo (de lenguaje )?~(entrenado|desarrollado|creado) por|una IA"
            " ~(entrenada|desarrollada|creada) por|un asistente ~(entrenado|desarrollado|creado) por)",
            "(fui|he sido) (entrenad(o|a)|desarrollad(o|a)|cread(o|a)|programad(o|a)|diseñad(o|a)) por (OpenAI"
            "|Anthropic"
            "|Google|Meta)",
            "(las )?(políticas|pautas|directrices) (de contenido |de uso )?de OpenAI",
        ),
        "pt": (
            "(sou|fui) (o )?(ChatGPT|Bard|Claude|Gemini|um modelo (de linguagem )?~(treinado|desenvolvido|criado) pela"
            "|uma IA ~(treinada|desenvolvida|criada) pela|um assistente ~(treinado|desenvolvido|criado) pela)",
            "(fui) (treinad(o|a)|desenvolvid(o|a)|criad(o|a)|programad(o|a)) pel(a|o) (OpenAI|Anthropic|Google|Meta)",
            "(as )?(políticas|diretrizes) (de conteúdo |de uso )?da OpenAI",
        ),
        "fr": (
            "je suis (ChatGPT|Bard|Claude|Gemini|un modèle (de langage )?~(entraîné|développé|créé|conçu) par|une IA"
            " ~(entraînée|développée|créée|conçue) par|un assistant ~(entraîné|développé|créé|conçu) par)",
            "j'ai été (entraîné|entraînée|développé|développée|créé|créée|conçu|conçue|programmé|programmée|formé"
            "|formée)"
            " par (OpenAI|Anthropic|Google|Meta)",
            "(les )?(politiques|directives|règles) (de contenu |d'utilisation )?d'OpenAI",
        ),
        "de": (
            "ich bin (ChatGPT|Bard|Claude|Gemini|ein (KI-)?(Sprachmodell|Modell|Assistent),? (das|der) von (OpenAI"
            "|Anthropic|Google|Meta)|eine KI,? die von (OpenAI|Anthropic|Google|Meta))",
            "ich wurde von (OpenAI|Anthropic|Google|Meta) (entwickelt|trainiert|erstellt|programmiert|geschaffen"
            "|entworfen)",
            "(die )?(Inhaltsrichtlinien|Richtlinien|Nutzungsrichtlinien) von OpenAI",
            "(den|die) (OpenAI-Richtlinien|Richtlinien von OpenAI|Inhaltsrichtlinien von OpenAI)",
        ),
        "zh": (
            "*我是(由)?(OpenAI|openai|谷歌|Google|Anthropic|Meta)(开发|训练|创建|打造|研发|推出)",
            "*我是ChatGPT",
            "*我是(一个|一款)?由(OpenAI|openai|谷歌|Google|Anthropic|Meta)(开发|训练|创建|打造|研发)的",
            "OpenAI(的)?(内容|使用)(政策|准则|规定)",
        ),
    },
    "platform": {
        "any": (
            "this (conversation|chat|thread) (is|was|has been) shared (from|via|on|using|through|with)",
            "shared (from|via) ChatGPT",
            "Regenerate response",
            "Regenerate draft",
            "Copy to clipboard",
            "ChatGPT may produce inaccurate information",
            "ChatGPT can make mistakes",
            "Free Research Preview",
            "ChatGPT (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) (9|13|14|23|24|3|25|12|30) Version",
            "(this|the) content may violate our (content )?(policy|policies|usage policies)",
            "contents may violate our content policy",
            "(if you believe this to be in error|was this response better or worse)",
            "An error occurred. If this issue persists",
            "Network error. Please try again",
            "Something went wrong. If this issue persists",
            "Stop generating",
            "Continue generating",
            "New chat",
            "Share Prompt",
            "Translate now",
        ),
    },
}

#: Regular expressions (matched on the folded, lower-cased text), by category: artifacts
#: that the phrase language cannot express. Each entry: the name shown in meta and
#: rejects, the regex, and a needle that a text must hold for the regex to run at all.
REGEXES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "platform": (
        # "1 / 1" page counters that ShareGPT scrapes left at the start of turns.
        ("1 / 1", r"\A\s*\d{1,2} / \d{1,2}(?=\s*\n|[^\W\d_])", " / "),
        # The copy button's label glued to the code block's language: "pythonCopy code".
        ("Copy code", r"copy code(?!\w)", "copy code"),
    ),
}

#: Sentences that do not make an answer useful on their own: offers of more help,
#: referrals to a professional, pleasantries. A record whose only content after a cut
#: is made of these is a full refusal. They never trigger the filter by themselves.
FILLER: dict[str, tuple[str, ...]] = {
    "en": (
        "(is there|if there('s| is)) anything else",
        "(if|should) you (have|need|want) (any )?(other|more|further|additional|different|specific)? ?(questions"
        "|requests|concerns|topics|help|assistance|information|queries|inquiries)",
        "(please )?(feel free|don't hesitate|do not hesitate|let me know|tell me|ask me)",
        "I('d| would) (be )?(happy|glad|more than happy|delighted|love) to",
        "I('m| am) (here|happy|glad|always happy|always here|more than happy) to (help|assist|provide|answer|support)",
        "(however|instead|but|alternatively|that said|that being said|on the other hand|in the meantime)?,? I (can"
        "|could"
        "|would|'d|may|might|will|'ll) (be )?(happy|glad|more than happy|able)? ?(to )?(help|assist|provide|offer"
        "|suggest"
        "|try|share|give|point|recommend|direct|answer|explain|discuss|talk|tell you|gladly|also)",
        "I (can|could) (help|assist|provide|offer|suggest|try|share|give|point|recommend|direct|summarize|summarise"
        "|explain|show|walk you|outline|describe)",
        "I('m| am) (happy|glad) to",
        "(perhaps|maybe) (I|we) (can|could)",
        "I hope (this|that|you|it|my)",
        "(thank you|thanks) for (your )?(understanding|asking|the question|reaching out|your patience)",
        "I (apologize|apologise) for (any|the) (inconvenience|confusion|misunderstanding|disappointment)",
        "(it('s| is)|it would be) (really |very |always |also )?(best|recommended|advisable|a good idea|important"
        "|essential|crucial|wise) (to|that you) (consult|seek|speak|talk|reach out|contact|check|refer|verify|work with"
        "|get in touch|research|decide|consider|form|make up|do your own|evaluate|weigh|think|reflect|look into)",
        "(I|we) (would )?(strongly |highly )?(recommend|suggest|advise|encourage|urge) (you )?(to )?(consult|seek"
        "|speak|talk|reach out|contact|check|refer|visit|verify|look|get in touch|work with|try|consider|use|search)",
        "(please )?(consult|seek|contact|reach out to|speak (to|with)|talk to|get in touch with|refer to|check with"
        "|visit|look up|search for|check) ",
        "(you )?(may|might|can|could|should) (want to |wish to |consider |also )?(consult|seek|speak|talk|reach out"
        "|contact|check|refer|visit|verify|look|search|try|use|get in touch|work with|ask)",
        "(for|to get|to find) (the )?(latest|most (up-to-date|recent|current|accurate)|up-to-date|real-time|current"
        "|accurate|more|further|reliable|official) (information|updates|news|data|details|guidance)",
        "(stay safe|take care|good luck|best of luck|best wishes|have a (great|nice|good))",
        "(if you('re| are) (interested|curious)|if you('d| would) like)",
        "(please )?(consider )?(reaching|reach) out",
        "(you can|you could|you may) (also )?(call|text|contact|reach|connect|talk|speak)",
        "(please )?know that",
        "((instead|alternatively),? )?(you (could|might|can) )?(consider|try) (talking|speaking|reaching out|asking"
        "|contacting|seeking|getting (help|support)|exploring (legal|ethical|other|safe))",
        "(sure|certainly|of course|absolutely|okay|ok)[!.,]",
    ),
    "es": (
        "si (tienes|tiene|necesitas|necesita) (alguna|otra|otras|cualquier|más|algún)",
        "no (dudes|dude) en",
        "¿?(hay|existe) algo más",
        "(estaré|estoy|estaría) (encantad(o|a)|feliz|aquí|dispuest(o|a)|disponible)",
        "(sin embargo|pero|en cambio|no obstante)?,? (puedo|podría|te puedo|le puedo|me encantaría|con gusto)",
        "(puedo|podría) (ayudarte|ayudarle|ofrecerte|ofrecerle|sugerirte|sugerirle|darte|darle|brindarte|brindarle)",
        "espero que (esto|esta|te|le|esta información)",
        "(te|le) (recomiendo|sugiero|aconsejo) (que )?(consultar|consultes|consulte|buscar|busques|busque|hablar"
        "|hables|hable|contactar|contactes|contacte|acudir|acudas|acuda|revisar|visitar)",
        "(es|sería) (mejor|recomendable|aconsejable|importante|buena idea) (consultar|buscar|hablar|contactar|acudir)",
        "(consulta|consulte|contacta|contacte|acude|acuda|busca|busque) (con |a )?(un|una|el|la|los|las|fuentes"
        "|sitios)",
        "gracias por (tu|su) (comprensión|pregunta|paciencia)",
        "(para|si buscas) (obtener )?(la )?información (más )?(actualizada|reciente|precisa)",
    ),
    "pt": (
        "se (você )?(tiver|tem|precisar) (outras|alguma|mais|qualquer|outra)",
        "(fique à vontade|sinta-se à vontade|não hesite)",
        "(há|existe|tem) (algo|mais alguma coisa)",
        "(posso|poderia) (ajudar|te ajudar|ajudá-lo|ajudá-la|oferecer|sugerir|lhe oferecer|te oferecer|fornecer)",
        "(no entanto|mas|porém|contudo|em vez disso)?,? (eu )?(posso|poderia|ficaria feliz|terei prazer)",
        "(estou|estarei|ficarei) (aqui|feliz|à disposição|disponível)",
        "espero que (isso|isto|te|lhe|essas)",
        "(recomendo|sugiro|aconselho) (que )?(consultar|você consulte|consulte|procurar|procure|buscar|busque|falar"
        "|fale|entrar em contato|verificar|verifique)",
        "(é|seria) (melhor|recomendável|aconselhável|importante|uma boa ideia) (consultar|procurar|buscar|falar)",
        "(consulte|procure|busque|entre em contato com) (um|uma|o|a|fontes|sites)",
        "obrigad(o|a) pela (compreensão|pergunta|paciência)",
        "(para|para obter) (informações|dados) (atualizad(as|os)|mais recentes|precis(as|os))",
    ),
    "fr": (
        "si (vous avez|tu as) (d'autres|des|une autre|besoin)",
        "(n'hésitez|n'hésite) pas",
        "(y a-t-il|puis-je|est-ce que je peux|existe-t-il) ",
        "(cependant|toutefois|mais|en revanche|néanmoins)?,? je (peux|pourrais|serais ravi|serai ravi|serais heureux)",
        "je (peux|pourrais) (vous|t') (aider|proposer|suggérer|fournir|donner|orienter)",
        "je (suis|reste|serais|serai) (là|ravi|ravie|heureux|heureuse|disponible) (pour|de|à)",
        "j'espère que",
        "je (vous|te) (recommande|conseille|suggère|invite) (de|à) (consulter|contacter|vous adresser|t'adresser"
        "|vérifier"
        "|vous renseigner|te renseigner|parler)",
        "il (est|serait) (préférable|recommandé|conseillé|important|judicieux) de (consulter|contacter|vérifier"
        "|vous adresser|parler)",
        "(consultez|contactez|adressez-vous|renseignez-vous) ",
        "merci (de votre|pour votre|de ta|pour ta) (compréhension|question|patience)",
        "pour (obtenir )?(les )?informations (les plus )?(récentes|à jour|précises|actuelles)",
    ),
    "de": (
        "wenn (Sie|du) (weitere|noch|andere|sonstige) (Fragen|Anliegen|Wünsche)",
        "(zögern Sie|zögere) nicht",
        "(kann|darf|soll) ich (Ihnen|dir) (sonst|anderweitig|bei etwas anderem|noch|stattdessen)",
        "(ich kann|ich könnte|gerne kann ich|gern kann ich) (Ihnen|dir) (aber|jedoch|gerne|gern|stattdessen"
        "|allerdings)",
        "(jedoch|aber|allerdings|stattdessen|gerne|gern) (kann|könnte|helfe) ich",
        "ich (helfe|unterstütze) (Ihnen|dir|Sie|dich) gerne",
        "ich hoffe",
        "ich (empfehle|rate) (Ihnen|dir)",
        "(bitte )?(wenden Sie sich|wende dich) an",
        "es (ist|wäre) (am besten|ratsam|empfehlenswert|sinnvoll)",
        "(vielen )?(Dank|danke) für (Ihr|dein|Ihre|deine) (Verständnis|Frage|Geduld)",
        "für (aktuelle|die neuesten|genaue|verlässliche) (Informationen|Daten|Nachrichten)",
    ),
    "zh": (
        "*如果(你|您)(还)?(有|需要)(其他|任何|更多|别的)",
        "*(请)?(随时|尽管)(告诉|问|提问|联系)",
        "*(还有|有)(什么|其他|别的)(我可以|需要|可以)",
        "*(但是?|不过|然而)?,?我(可以|能够|很乐意|愿意|会很乐意)",
        "*我(可以|很乐意|乐意)(为你|为您|帮你|帮您|帮助|提供|协助)",
        "*希望(这|以上|对你|对您|我的|这些)",
        "*(建议|我建议|推荐|我推荐)(你|您)",
        "*(请)?(咨询|联系|查阅|访问|查看)(专业|相关|官方|权威|最新)",
        "*(感谢|谢谢)(你|您)的(理解|提问|耐心)",
        "*(如需|要获取|为了获取|获取)(最新|实时|准确)",
    ),
}

#: Sentences that justify a refusal rather than help: when short (at most 30 words) and
#: holding one of these, they do not count towards a useful answer. Searched anywhere in
#: the sentence. They never trigger the filter by themselves.
JUSTIFICATIONS: dict[str, tuple[str, ...]] = {
    "en": (
        "illegal",
        "unlawful",
        "against the law",
        "unethical",
        "prohibited",
        "a crime",
        "criminal",
        "consequences",
        "harmful",
        "cause harm",
        "dangerous",
        "deceptive",
        "misinformation",
        "disinformation",
        "privacy",
        "without (their |his |her |someone's |the owner's |the person's )?(permission|consent|knowledge|authorization)",
        "never (okay|ok|acceptable|appropriate)",
        "not (okay|ok|acceptable|appropriate|ethical)",
        "inappropriate",
        "offensive",
        "respect",
        "dishonest",
        "dishonesty",
        "fraud",
        "violate",
        "violates",
        "violation",
        "(no|there is no|there's no) (way|method|one|reliable way|system|strategy) (to|can|that)",
        "random",
        "hurtful",
        "abuse",
        "exploit",
        "manipulat*",
        "misleading",
        "copyright",
        "copyrighted",
        "unfair",
        "undermines",
    ),
    "es": (
        "ilegal",
        "delito",
        "poco ético",
        "dañino",
        "daños",
        "peligroso",
        "consecuencias",
        "privacidad",
        "sin (su )?(permiso|consentimiento|autorización)",
        "prohibido",
        "fraude",
        "engañoso",
    ),
    "pt": (
        "ilegal",
        "crime",
        "antiético",
        "prejudicial",
        "danos",
        "perigoso",
        "consequências",
        "privacidade",
        "sem (a |sua )?(permissão|autorização|consentimento)",
        "proibido",
        "fraude",
        "enganoso",
    ),
    "fr": (
        "illégal",
        "délit",
        "un crime",
        "contraire à l'éthique",
        "dangereux",
        "conséquences",
        "vie privée",
        "sans (leur |son |sa )?(autorisation|consentement|permission)",
        "interdit",
        "fraude",
        "trompeur",
    ),
    "de": (
        "illegal",
        "strafbar",
        "verboten",
        "unethisch",
        "gefährlich",
        "Konsequenzen",
        "Privatsphäre",
        "ohne (deren |ihre |seine )?(Erlaubnis|Zustimmung|Einwilligung)",
        "Betrug",
        "irreführend",
    ),
    "zh": ("*违法*", "*非法*", "*犯罪*", "*不道德*", "*有害*", "*危险*", "*隐私*", "*未经*", "*欺诈*"),
}

#: Openings of conditional sentences ("If you ..."): a short one (at most 20 words) after a
#: cut is a redirect ("If you paste the text here, I can summarise it"), not help.
CONDITIONAL_OPENINGS: tuple[str, ...] = ("if", "should you", "si", "se", "wenn", "falls", "如果", "若", "假如")

#: Words that open the sentence after a cut and lean on the removed one ("However, here
#: is ..."): dropped so that the answer starts cleanly. German is left alone (dropping
#: "Allerdings" would break its word order).
CONNECTIVES: tuple[str, ...] = (
    "however,",
    "however",
    "but",
    "that said,",
    "that being said,",
    "with that said,",
    "having said that,",
    "nevertheless,",
    "nonetheless,",
    "instead,",
    "still,",
    "sin embargo,",
    "no obstante,",
    "dicho esto,",
    "pero",
    "en cambio,",
    "no entanto,",
    "contudo,",
    "porém,",
    "todavia,",
    "dito isso,",
    "mas",
    "em vez disso,",
    "cependant,",
    "toutefois,",
    "néanmoins,",
    "cela dit,",
    "mais",
    "en revanche,",
    "但是,",
    "不过,",
    "然而,",
    "但是",
    "不过",
    "但",
)

#: Where a matched sentence turns to help ("I can't X, but here is ..."): the part after
#: it is kept. Matched after the end of the phrase, inside the same sentence.
CLAUSE_BREAKS: tuple[str, ...] = (
    ", but ",
    "; however, ",
    ", however, ",
    "; but ",
    " - but ",
    " — but ",
    ", pero ",
    "; sin embargo, ",
    ", sin embargo, ",
    ", mas ",
    ", mas, ",
    "; no entanto, ",
    ", no entanto, ",
    ", porém, ",
    ", mais ",
    "; cependant, ",
    ", cependant, ",
    ", aber ",
    "; jedoch ",
    ", jedoch ",
    ",但是",
    ",不过",
    ",但",
    "。但是",
)

#: Subordinate openings: "While I don't have personal opinions, many people ..." keeps
#: the main clause after the comma that closes the subordinate one.
SUBORDINATE_OPENINGS: tuple[str, ...] = (
    "while",
    "although",
    "though",
    "even though",
    "since",
    "because",
    "as",
    "given that",
    "mientras",
    "aunque",
    "si bien",
    "como",
    "embora",
    "apesar de",
    "como",
    "bien que",
    "même si",
    "comme",
    "puisque",
    "obwohl",
    "da",
    "虽然",
    "尽管",
    "由于",
    "因为",
)
