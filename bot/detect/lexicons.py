"""Vocabulary of the detector: data only, no logic.

Every entry is a plain regular-expression source string (compiled once in ``patterns.py``) so that the
words can be reviewed and extended without touching the code that applies them. Matching of platform
names is case-sensitive (brand names are capitalised; "apple" the fruit is not), everything else is
case-insensitive unless stated.
"""

from __future__ import annotations

# --- platforms ---------------------------------------------------------------------------------------
# canonical name -> alias regex (case-sensitive). "X" is not here: the letter needs context, see X_*.
PLATFORM_ALIASES: dict[str, str] = {
    "Twitter": r"Twitter(?:'s)?|TWITTER",
    "Facebook": r"Facebook|FACEBOOK",
    "Meta": r"Meta Platforms|Meta(?=['’]s\b)|Meta(?! ?[-–]\w)",
    "Instagram": r"Instagram",
    "WhatsApp": r"WhatsApp",
    "Google": r"Google|GOOGLE|Alphabet Inc\.?",
    "YouTube": r"YouTube",
    "Apple": r"Apple|APPLE",
    "Microsoft": r"Microsoft|MICROSOFT",
    "LinkedIn": r"LinkedIn",
    "GitHub": r"GitHub",
    "Amazon": r"Amazon(?:\.com)?|AMAZON",
    "TikTok": r"TikTok|Tik Tok|TIKTOK",
    "ByteDance": r"ByteDance",
    "Telegram": r"Telegram",
    "Reddit": r"Reddit",
    "Snapchat": r"Snapchat|Snap Inc\.?",
    "Yelp": r"Yelp",
    "Glassdoor": r"Glassdoor",
    "Pinterest": r"Pinterest",
    "Tumblr": r"Tumblr",
    "Twitch": r"Twitch",
    "Uber": r"Uber",
    "Lyft": r"Lyft",
    "Airbnb": r"Airbnb",
    "Netflix": r"Netflix",
    "Spotify": r"Spotify",
    "Dropbox": r"Dropbox",
    "Yahoo": r"Yahoo!?",
    "eBay": r"eBay",
    "PayPal": r"PayPal",
    "Cloudflare": r"Cloudflare",
    "Wikipedia": r"Wikipedia",
    "Wikimedia Foundation": r"Wikimedia(?: Foundation)?",
    "Truth Social": r"Truth Social",
    "Parler": r"Parler",
    "Bluesky": r"Bluesky",
    "OpenAI": r"OpenAI|ChatGPT",
    "Oracle": r"Oracle(?= (?:Corp|America|v\.|sued|sues))",
    "Epic Games": r"Epic Games",
    "Coinbase": r"Coinbase",
    "Binance": r"Binance",
    "Robinhood": r"Robinhood(?! Hood)",
    "Grindr": r"Grindr",
    "Clearview AI": r"Clearview(?: AI)?",
    "Roblox": r"Roblox",
    "Discord": r"Discord(?= (?:Inc|app|server|chat|users?)\b)",
    "Signal": r"Signal(?= (?:app|messenger|Foundation)\b)",
    "Zoom": r"Zoom(?= (?:Video|Communications)\b)",
    "Rumble": r"Rumble(?= (?:Inc|platform|video)\b)",
    "Vimeo": r"Vimeo",
    "Craigslist": r"Craigslist",
    "Backpage": r"Backpage(?:\.com)?",
    "Kick": r"Kick(?= (?:streaming|platform)\b)",
    "Alibaba": r"Alibaba",
    "Tencent": r"Tencent",
    "WeChat": r"WeChat",
    "Shein": r"Shein|SHEIN",
    "Temu": r"Temu",
}

# Word senses that are not the platform: regex that must match right AFTER the alias (case-sensitive).
PLATFORM_BAD_FOLLOWERS: dict[str, str] = {
    "Apple": r"\s+(?:Records|Corps|Daily|Bank|Valley|Hospitality|pie|Pie|Martin|cider)\b",
    "Amazon": r"\s+(?:rainforest|Rainforest|River|river|basin|Basin|jungle|forest|region|Region)\b",
    "Telegram": r"\s*(?:&|and)\s+Gazette|\s+(?:newspaper)\b",
    "Meta": r"\s+(?:analysis|data)\b",
    "Uber": r"\s+(?:alles|cool)\b",
    "Oracle": r"\s+of\b",
}
# Chipmakers and device makers (Nvidia, Qualcomm, Samsung, Huawei, Xiaomi ...) are not listed here: the
# directory (bot/data/platforms.tsv) names them as companies that are not online platforms.
# ... and regex that must match right BEFORE the alias (a lookbehind is emulated on a short slice).
PLATFORM_BAD_PRECEDERS: dict[str, str] = {
    "Apple": r"(?:Big|Fiona|Adam's|crab|Crab)\s+$",
    "Amazon": r"(?:the|The|Brazilian|Peruvian|Colombian|Bolivian|Ecuadorian|Venezuelan|Legal|legal)\s+$",
    "Telegram": r"(?:Zimmermann|Zimmerman|Star-|Evening|Daily|Portland|Worcester|the|The)\s*$",
    "Epic Games": r"$^",
}
# "the Amazon" is the rainforest unless a company word follows.
AMAZON_COMPANY_AFTER = r"\s+(?:Inc|Web Services|Prime|Marketplace|Alexa|warehouse|workers|employees|said|says)\b"

# --- X, formerly Twitter ----------------------------------------------------------------------------
# "X" is a letter first. These contexts (case-sensitive, tested against the text) make it the platform.
X_PLATFORM_CONTEXT: tuple[str, ...] = (
    r"\bX Corp\b\.?",
    r"\bX Holdings\b",
    r"\bX\s*\(formerly(?: known as)? Twitter\)",
    r"\bX\s*\(formally Twitter\)",
    r"\bX,\s+(?:formerly|previously)(?: known as)? Twitter",
    r"\bTwitter,?\s+(?:now|since renamed|rebranded as)\s+(?:called\s+)?X\b",
    r"\b(?:Elon\s+)?Musk['’]s\s+X\b",
    r"\b(?:social(?:[- ]media)?|social network(?:ing)?|media|messaging|micro-?blogging)\s+"
    r"(?:platform|site|network|service|company|giant|app)?\s*X\b",
    r"\bplatform\s+X\b",
    # listed with other platforms: "investigation into X, Meta and TikTok", "TikTok and X"
    r"\bX,?\s+(?:and\s+)?(?:Meta|Facebook|Instagram|TikTok|YouTube|Google|Snap(?:chat)?|Telegram|Reddit|"
    r"Discord|Bluesky|Threads)\b",
    r"\b(?:Meta|Facebook|Instagram|TikTok|YouTube|Google|Snap(?:chat)?|Telegram|Reddit|Discord|Bluesky|"
    r"Threads)(?:,|\s+and|\s+or)\s+X\b(?![-–])",
    r"\bthe\s+X\s+(?:social|platform|app|network)\b",
    r"\bX['’]s\b",
    r"\bX\s+(?:owner|CEO|users?|accounts?|posts?|platform|services?|app|Premium|Community Notes)\b",
    # the platform as the object of a legal act, or the subject of a breach: "raid X's offices", "a $140M fine
    # for X", "an investigation into X", "whether X violated the rules", "Raid X Offices" (headline case)
    r"\b(?:raid(?:s|ed|ing)?|fine[sd]?|fines? (?:for|on|against)|fining|penalt(?:y|ies) (?:for|on|against)|"
    r"(?:probe|investigation|inquiry|case|lawsuit|suit|complaint|charges?|action) (?:into|of|against)|"
    r"investigat\w+|summon\w*|subpoena\w*|sanction\w*|whether|accus\w+|warn(?:s|ed)?|"
    r"Raid|Fine for|Probe Into|Investigation Into|Sues|Fines|Fined|Blocks|Bans)\s+X\b(?![-–.]\w)",
    r"\bX\s+(?:violated|violates|breached|breaches|faces|faced|failed|fails|complied|complies|offices?|"
    r"Offices?|headquarters|executives?|Executives?)\b",
    # quoted, as some outlets write the one-letter name: "the plea against blocking 'X'"
    r"\b(?:block\w*|ban\w*|unblock\w*|restor\w*|suspen\w*|access to|shut\w*(?: down)?)\s+(?:of\s+)?['\"]X['\"]",
    r"\b(?:on|against|sued|sue|sues|suing|fined|fines|ordered|orders|blocked|blocks|suspended|suspends|"
    r"ban|banned|bans|unblocking|compel|v\.|vs\.?)\s+X\b(?![-–])",
    r"\b(?:of|to)\s+X\b(?=\s+(?:in|from|over|after|for|and)\b)",
    r"\b(?:take|takes|taking|took|taken|haul\w*|drag\w*)\s+X\s+(?:back\s+)?(?:to|into|before)\s+court\b",
    r"(?:^|[.!?]\s+|\n)X\s+(?:can|will|has|had|is|was|must|sued|sues|says|said|filed|files|pays|paid|"
    r"returns|returned|refused|refuses|won|wins|lost|loses|agreed|agrees|appealed|appeals|"
    r"challenges|challenged|only|ban|suspended|blocked)\b",
)
# Things "X" is part of that are never the platform (checked right before / after the bare X).
X_BAD_PRECEDERS = r"(?:OS|Mac OS|iPhone|Malcolm|Generation|Gen|Model|Series|Project|Planet|Brand|Factor|Windows|Xbox Series|Pixel|Mark|Day|Chapter|Article|Title)\s+$"
X_BAD_FOLLOWERS = r"[-–](?:ray|rays|Men|men|axis|factor)|\s+(?:Factor|Games|Prize|Files|Men)\b"

# --- parties, counterparties -------------------------------------------------------------------------
# canonical -> alias regex (case-sensitive unless the alias starts with (?i)).
COUNTERPARTY_ALIASES: dict[str, str] = {
    "DOJ": r"Justice Department|Department of Justice|DOJ|DoJ|Attorney General (?:Eric )?Holder|"
    r"Attorney General (?:William )?Barr|Holder|Barr\b(?= )",
    "FBI": r"FBI|Federal Bureau of Investigation",
    "DHS": r"DHS|Homeland Security",
    "CBP": r"CBP|Customs and Border Protection",
    "ICE": r"Immigration and Customs Enforcement|\bICE\b",
    "FTC": r"FTC|Federal Trade Commission",
    "SEC": r"Securities and Exchange Commission|\bSEC\b",
    "FCC": r"FCC|Federal Communications Commission",
    "NSA": r"\bNSA\b|National Security Agency",
    "IRS": r"\bIRS\b|Internal Revenue Service",
    "US government": r"(?:U\.S\.|US|United States|federal|Trump|Biden|Obama) (?:government|administration)|"
    r"\bfeds\b|\bFeds\b",
    "state attorneys general": r"state attorneys general|attorneys general",
    "grand jury": r"grand jury",
    "European Commission": r"European Commission|EU Commission|Brussels regulators?",
    "EU": r"European Union|\bEU\b",
    "CMA": r"Competition and Markets Authority|\bCMA\b",
    "Ofcom": r"Ofcom",
    "ICO": r"Information Commissioner['’]?s? Office",
    "Irish DPC": r"(?:Irish )?Data Protection Commission(?:er)?",
    "CNIL": r"CNIL",
    "eSafety Commissioner": r"(?i:e-?Safety Commissioner)|(?i:\beSafety\b)",
    "ACCC": r"ACCC|Australian Competition and Consumer Commission",
    "Federal Court of Australia": r"Federal Court of Australia|(?<=Australia['’]s )Federal Court",
    "Competition Commission of India": r"Competition Commission of India|\bCCI\b",
    "KFTC": r"Korea Fair Trade Commission|KFTC",
    "Anatel": r"Anatel",
    "Roskomnadzor": r"Roskomnadzor",
    "NITDA": r"NITDA|National Information Technology Development Agency",
    "Paris prosecutor": r"Paris prosecutor(?:['’]s office)?|French prosecutors?|French investigating judges?",
    "Alexandre de Moraes": r"(?:Alexandre )?de Moraes",
    "US Supreme Court": r"U\.S\. Supreme Court|US Supreme Court|United States Supreme Court",
    "Brazil Supreme Court": r"Brazil(?:ian|['’]s)? Supreme Court|Supreme Federal Court",
    "California Supreme Court": r"California Supreme Court",
    "Ninth Circuit": r"Ninth Circuit|9th Circuit",
    "Second Circuit": r"Second Circuit|2nd Circuit",
    "Congress": r"House (?:Judiciary|Intelligence|Oversight|Select) Committee|Senate \w+ Committee",
    "Epic Games": r"Epic Games|\bEpic\b(?= (?:sues|sued|v\.|filed|is suing|Games))",
    "Cambridge Analytica": r"Cambridge Analytica",
    # competition and data-protection authorities that act against platforms most often
    "Autorité de la concurrence": r"Autorit[eé] de la [Cc]oncurrence|French competition (?:authority|watchdog|regulator)",
    "Bundeskartellamt": r"Bundeskartellamt|German (?:competition|antitrust|cartel) (?:authority|office|watchdog|regulator)",
    "AGCM": r"\bAGCM\b|Italian (?:competition|antitrust) (?:authority|watchdog|regulator)",
    "Garante": r"\bGarante\b|Italian (?:data protection|privacy) (?:authority|watchdog|regulator)",
    "AEPD": r"\bAEPD\b|Spanish (?:data protection|privacy) (?:authority|agency|watchdog)",
    "Dutch DPA": r"Autoriteit Persoonsgegevens|Dutch (?:data protection|privacy) (?:authority|watchdog|regulator)",
    "ACM": r"Authority for Consumers and Markets",
    "JFTC": r"Japan Fair Trade Commission|\bJFTC\b",
    "CADE": r"\bCADE\b",
    "COFECE": r"\bCOFECE\b",
    "Competition Bureau": r"Competition Bureau(?: Canada)?",
    "CRTC": r"\bCRTC\b",
    "SAMR": r"State Administration for Market Regulation|\bSAMR\b",
    "CAC": r"Cyberspace Administration of China",
    "MeitY": r"\bMeitY\b|Ministry of Electronics and (?:Information Technology|IT)",
    "NCLAT": r"\bNCLAT\b|National Company Law Appellate Tribunal",
    "Turkish Competition Authority": r"Turkish Competition (?:Authority|Board)|Rekabet Kurumu",
    "BTK": r"\bBTK\b|Information and Communication Technologies Authority",
    "PTA": r"Pakistan Telecommunication Authority|\bPTA\b",
    "UCC": r"Uganda Communications Commission|\bUCC\b",
    "NCC": r"Nigerian Communications Commission",
    "FCCPC": r"\bFCCPC\b|Federal Competition and Consumer Protection Commission",
    "CNMC": r"\bCNMC\b",
    "Arcom": r"\bArcom\b",
    "BfDI": r"\bBfDI\b",
    "Bundesamt für Justiz": r"Bundesamt für Justiz|Federal Office of Justice",
    "Court of Justice of the EU": r"Court of Justice of the European Union|European Court of Justice|\bCJEU\b|\bECJ\b",
}

# Countries: (noun, adjective) patterns. The noun names a government acting against a platform ("Nigeria
# suspends Twitter"); the adjective only does when an organ of state follows ("the Brazilian Supreme
# Court", "Irish data protection regulator"), otherwise it describes a person, place or thing ("an
# Indian-American judge", "Irish email data") and is no party to the dispute.
COUNTRIES: dict[str, tuple[str, str | None]] = {
    "Nigeria": (r"Nigeria", r"Nigerian"),
    "Brazil": (r"Brazil", r"Brazilian"),
    "India": (r"India", r"Indian"),
    "Russia": (r"Russia", r"Russian"),
    "China": (r"China", r"Chinese"),
    "Turkey": (r"Turkey|Türkiye", r"Turkish"),
    "Australia": (r"Australia", r"Australian"),
    "France": (r"France", r"French"),
    "Germany": (r"Germany", r"German"),
    "UK": (r"UK|U\.K\.|Britain|United Kingdom", r"British"),
    "Canada": (r"Canada", r"Canadian"),
    "Pakistan": (r"Pakistan", r"Pakistani"),
    "Indonesia": (r"Indonesia", r"Indonesian"),
    "Vietnam": (r"Vietnam", r"Vietnamese"),
    "Iran": (r"Iran", r"Iranian"),
    "Uganda": (r"Uganda", r"Ugandan"),
    "Ethiopia": (r"Ethiopia", r"Ethiopian"),
    "Kenya": (r"Kenya", r"Kenyan"),
    "South Korea": (r"South Korea|Korea Fair", r"South Korean"),
    "Japan": (r"Japan", r"Japanese"),
    "Ireland": (r"Ireland", r"Irish"),
    "Italy": (r"Italy", r"Italian"),
    "Spain": (r"Spain", r"Spanish"),
    "Netherlands": (r"Netherlands", r"Dutch"),
    "Venezuela": (r"Venezuela", r"Venezuelan"),
    "Bangladesh": (r"Bangladesh", r"Bangladeshi"),
    "Sri Lanka": (r"Sri Lanka", r"Sri Lankan"),
    "Egypt": (r"Egypt", r"Egyptian"),
    "Thailand": (r"Thailand", r"Thai"),
    "Malaysia": (r"Malaysia", r"Malaysian"),
    "Philippines": (r"Philippines", r"Philippine|Filipino"),
    "Singapore": (r"Singapore", r"Singaporean"),
    "Poland": (r"Poland", r"Polish"),
    "Belgium": (r"Belgium", r"Belgian"),
    "Sweden": (r"Sweden", r"Swedish"),
    "Norway": (r"Norway", r"Norwegian"),
    "Denmark": (r"Denmark", r"Danish"),
    "South Africa": (r"South Africa", r"South African"),
    "Mexico": (r"Mexico", r"Mexican"),
    "Argentina": (r"Argentina", r"Argentine|Argentinian"),
    "Tanzania": (r"Tanzania", r"Tanzanian"),
    "Nepal": (r"Nepal", r"Nepalese|Nepali"),
    "Kazakhstan": (r"Kazakhstan", r"Kazakh"),
    "Belarus": (r"Belarus", r"Belarusian"),
    "Ukraine": (r"Ukraine", r"Ukrainian"),
    "Israel": (r"Israel", r"Israeli"),
    "Saudi Arabia": (r"Saudi Arabia", r"Saudi"),
    "New Zealand": (r"New Zealand", None),
    "Montana": (r"Montana", None),
    "Texas": (r"Texas", None),
    "Utah": (r"Utah", None),
    "Arkansas": (r"Arkansas", None),
}
# The state a foreign authority acts for: an eSafety order and a Brazilian court order against one
# platform are two disputes even when neither report names the country.
PARTY_STATES: dict[str, str] = {
    "CMA": "UK", "Ofcom": "UK", "ICO": "UK",
    "Irish DPC": "Ireland",
    "CNIL": "France", "Paris prosecutor": "France",
    "eSafety Commissioner": "Australia", "ACCC": "Australia", "Federal Court of Australia": "Australia",
    "Competition Commission of India": "India",
    "KFTC": "South Korea",
    "Anatel": "Brazil", "Alexandre de Moraes": "Brazil", "Brazil Supreme Court": "Brazil",
    "Roskomnadzor": "Russia",
    "NITDA": "Nigeria",
    "Autorité de la concurrence": "France", "Arcom": "France",
    "Bundeskartellamt": "Germany", "BfDI": "Germany", "Bundesamt für Justiz": "Germany",
    "AGCM": "Italy", "Garante": "Italy",
    "AEPD": "Spain", "CNMC": "Spain",
    "Dutch DPA": "Netherlands", "ACM": "Netherlands",
    "JFTC": "Japan",
    "CADE": "Brazil",
    "COFECE": "Mexico",
    "Competition Bureau": "Canada", "CRTC": "Canada",
    "SAMR": "China", "CAC": "China",
    "MeitY": "India", "NCLAT": "India",
    "Turkish Competition Authority": "Turkey", "BTK": "Turkey",
    "PTA": "Pakistan",
    "UCC": "Uganda",
    "NCC": "Nigeria", "FCCPC": "Nigeria",
    # the United States' federal organs stand for it: a DOJ suit and an Indian regulator's fine against
    # one platform are two disputes even when neither report names a country
    **dict.fromkeys(
        ("DOJ", "FBI", "DHS", "CBP", "ICE", "FTC", "SEC", "FCC", "NSA", "IRS", "US government",
         "US Supreme Court", "Ninth Circuit", "Second Circuit"),
        "US",
    ),
}

# Public officers sued in their official capacity: their successor takes their place in the caption
# (Fed. R. Civ. P. 25(d)), so "Twitter v. Holder" becomes "Twitter v. Barr" without becoming a new case.
# Surname -> office; only used inside case names ("X v. Surname").
OFFICEHOLDERS: dict[str, str] = {
    **dict.fromkeys(
        ("ashcroft", "gonzales", "mukasey", "holder", "lynch", "sessions", "whitaker", "barr", "rosen",
         "garland", "bondi"),
        "attorney general",
    ),
    **dict.fromkeys(
        ("chertoff", "napolitano", "nielsen", "mcaleenan", "wolf", "mayorkas", "noem"),
        "homeland security secretary",
    ),
}

# What follows a country adjective when it names the state acting: "the Indian government", "a Turkish
# court", "French data protection authority" (up to two words may come between).
COUNTRY_ORGANS = (
    r"government|govt|ministry|minister|regulators?|authorit(?:y|ies)|courts?|judges?|president|"
    r"parliament|lawmakers|legislators|commissioner|commission|prosecutors?|police|agency|watchdog|officials|"
    r"federal|supreme|high court|telecom\w*|communications|competition|data protection|privacy|"
    r"DPC|CNIL|tax|antitrust|attorney|justice|administration|junta|military|censors?"
)

# --- legal vocabulary ---------------------------------------------------------------------------------
# (regex, action, weight). Case-insensitive. Weight: 3 = unmistakable legal action, 2 = legal process,
# 1 = legal-ish word that needs company.
LEGAL_TERMS: tuple[tuple[str, str, int], ...] = (
    (r"\b(?:administrative |IRS |federal )?summons(?:es|ed)?\b", "summons", 3),
    (r"\bsubpoena(?:s|ed|ing)?\b", "subpoena", 3),
    (r"\bsearch warrants?\b|\bwarrants? (?:for|seeking|to search|served)\b|\bwarrant case\b", "warrant", 3),
    (r"\bnational security letters?\b|\bNSLs?\b|\bFISA (?:orders?|requests?)\b|\bFISC orders?\b", "nsl", 3),
    (r"\bgag orders?\b|\bsecrecy orders?\b|\bnon-?disclosure orders?\b", "gag_order", 3),
    (r"\bcourt orders?\b|\bcourt[- ]ordered\b|\b(?:judge|magistrate|court)['’]s order\b|"
     r"\border(?:ed|s)? by (?:a |the )?(?:\w+ )?(?:court|judge|magistrate)\b|\bremoval order\b|"
     r"\btakedown order\b|\b(?:legal|court|judicial) order\b", "court_order", 3),
    (r"\bblocking orders?\b|\bordered (?:the )?(?:immediate )?(?:suspension|blocking)\b|"
     r"\b(?:suspension|blocking) of (?:the )?\w+(?: social)?(?: platform| network)?\b", "blocking_order", 2),
    (r"\bantitrust\b|\banti-trust\b|\bmonopol(?:y|ies|ist|istic|ize|ization)\b|\banti-?competitive\b|"
     r"\bSherman Act\b|\bcompetition (?:law|case|probe|investigation|regulators?|authority)\b", "antitrust", 2),
    (r"\blawsuits?\b|\bsu(?:es|ed|ing)\b|\bsue\b|\bclass[- ]action\b|\b(?:libel|defamation) (?:suit|case)\b|"
     r"\bfiled (?:a |an )?(?:\w+ )?(?:complaint|suit|petition|motion)\b|\blegal (?:action|challenge|fight|battle)\b|"
     r"\bcourt (?:case|battle|fight|challenge)\b|\blegal (?:war|dispute|wrangle|showdown|tussle|saga)\b|\b(?:federal|civil|legal) (?:case|suit)\b|"
     r"\bcountersue[ds]?\b|\b(?:shareholder|derivative|antitrust|privacy|copyright|patent|defamation|libel|"
     r"wrongful[- ]death|negligence|discrimination|consumer|civil|federal) suits?\b|"
     r"\bsuits? (?:against|accusing|alleging|claiming|seeking|filed by|over)\b|"
     r"\bdismiss(?:al|ed) (?:of )?(?:the |a |an |his |her |their |its )?(?:\w+ ){0,3}?(?:suit|lawsuit|case|claims?|charges|"
     r"complaint|appeal)\b|\bwins? (?:a )?dismissal\b|"
     r"\bsettl(?:e|es|ed|ing) (?:a |the |its |their )?(?:\w+ ){0,3}?(?:suit|suits|claims?|lawsuits?|allegations|charges)\b|"
     r"\b(?:take|takes|taking|took|taken|haul(?:s|ed)?|drag(?:s|ged)?) (?:\w+ ){1,3}(?:to|into|before) court\b",
     "lawsuit", 3),
    (r"\bindict(?:ed|ment|s)?\b|\bcriminal charges?\b|\bcharged (?:with|over|for|in)\b|\bcharged\b|"
     r"\barrest(?:ed|s)?\b|\bprosecut(?:e|ed|ion|ors?)\b|\bplaced under (?:formal )?investigation\b|"
     r"\bjudicial supervision\b|\bon bail\b|\bbail\b|\bin custody\b|\bcustody\b|\bplead(?:s|ed)? guilty\b|"
     r"\bguilty pleas?\b", "criminal_charge", 2),
    (r"\bfined\b|\b(?:a|the|its|record|hefty|\$[\d.,]+ ?(?:million|billion|bn|m)?) fines?\b|\bfines? (?:of|worth|totall?ing)\b|"
     r"\bpay (?:a |the )?(?:\w+ )?fines?\b|\bpenalt(?:y|ies)\b|\bsettlement\b|\bconsent (?:decree|order)\b|"
     r"\b(?:probes?|investigations?|inquir(?:y|ies)) (?:into|of)\b|\binvestigations\b|\binvestigat(?:e|es|ing|ed)\b|\bprobes?\b|"
     r"\bregulators?\b|\benforcement action\b|\bunder (?:the )?\w+ microscope\b|\bcharge sheet\b|"
     r"\bstatement of objections\b|\bnon-?compliance\b", "regulatory", 2),
    (r"\bban(?:s|ned|ning)?\b|\bsuspend(?:s|ed|ing)?\b|\bsuspension\b|\bblock(?:s|ed|ing)? access\b|"
     r"\b(?:lifted|lifts|lift) (?:its |the )?(?:ban|suspension|block)\b|\bunblock(?:ed|ing|s)?\b|"
     r"\bclampdown\b|\bforced (?:sale|divestiture)\b|\bdivest(?:iture|ment)?\b", "ban", 2),
    (r"\binjunctions?\b|\brestraining order\b|\bcontempt\b", "court_order", 2),
    # Legal action worded without the stock words: a regulator's raid or sanction, a fine reported as the
    # news, a government blocking or restoring a service, a court refusing a stay or upholding an order.
    (r"\b(?:raid(?:s|ed|ing)?|search(?:es|ed)?) (?:(?:the|its|their|of) )?(?:\w+ ){0,2}(?:offices?|headquarters|"
     r"premises|home)\b|\b(?:offices?|headquarters|premises) (?:\w+ ){0,2}(?:were |was )?(?:raided|searched)\b|"
     r"\bdawn raids?\b", "criminal_charge", 2),
    (r"\bseiz(?:e|es|ed|ing|ure)\b|\bconfiscat\w+\b|\btook down (?:the )?(?:\w+ )?(?:site|server|domain)\b",
     "warrant", 2),
    (r"\b(?:geofence|keyword|reverse[- ]\w+|tower[- ]dump|digital) warrants?\b|\bwarrants?\b", "warrant", 2),
    (r"\bimpos(?:e|es|ed|ing) (?:a |an )?(?:\w+ ){0,4}(?:fines?|penalt(?:y|ies)|sanctions?|ban|restrictions?)\b|"
     r"\b(?:fines?|penalt(?:y|ies)) (?:for|on|against)\b|\bsanction(?:s|ed|ing)?\b|\bpenali[sz](?:e|es|ed|ing)\b|"
     r"\b(?:slapped|hit) with\b|\b(?:Rs|KRW|INR|USD|EUR|GBP|million|billion|trillion|trln|bn|mn|crore|lakh)\b"
     r"[^.]{0,24}\b(?:fines?|penalt(?:y|ies))\b|"
     r"\bwatchdogs?\b|\b(?:corrective|compliance|cease[- ]and[- ]desist) orders?\b|\bviolat(?:e|es|ed|ing|ions?)\b(?! (?:of )?(?:(?:its|their|our|the|the site's|the platform's|the app's|"
     r"community|content|platform|site|app) ){1,2}(?:policies|policy|guidelines|terms|community standards|standards)\b)|"
     r"\bbreach(?:es|ed)? (?:of )?(?:\w+ ){0,3}(?:law|rules?|act|regulations?)\b", "regulatory", 2),
    (r"\bshut(?:s|ting)? down\b|\bshutdown\b|\b(?:is|was|were|are|remains?|still|been) (?:\w+ )?(?:blocked|banned|"
     r"restricted|inaccessible|suspended)\b|\brestor(?:e|es|ed|ing) (?:access|services?|\w+ (?:access|services?))\b|"
     r"\bblock(?:s|ed|ing)? (?:all |the )?(?:\w+ ){0,2}(?:apps?|platforms?|sites?|websites?|services?|social media|"
     r"messaging)\b|\b(?:blocked|banned) in\b|\bban on\b|\brestrict(?:s|ed|ing)? access\b|\bthrottl(?:e|es|ed|ing)\b|"
     r"\b(?:reverse[sd]?|revoke[sd]?|rescind(?:s|ed)?) (?:the |its |a )?(?:\w+ )?(?:ban|block|suspension)\b",
     "ban", 2),
    (r"\brefus(?:e|es|ed|ing) to (?:stay|lift|suspend|block|halt|pause|extend|dismiss|hear|overturn)\b|"
     r"\bstay (?:of|on) (?:the |an |a )?(?:\w+ )?(?:order|ruling|ban)\b|\buph(?:eld|olds?|olding)\b|"
     r"\baffirm(?:s|ed|ing|ance)\b|\boverturn(?:s|ed|ing)?\b|\bannul(?:s|led|ling)?\b|\bquash(?:es|ed|ing)?\b|"
     r"\bstr(?:uck|ikes?|iking) down\b|\btrial (?:date|is set|set|begins|starts|opens|scheduled)\b|"
     r"\b(?:docket|ECF) (?:entry|No)\b|\ben banc\b|\bper curiam\b|\boral arguments?\b|"
     r"\b(?:hear|hears|heard|hearing) (?:a |the )?(?:case|challenge|appeal|arguments?|petition)\b|"
     r"\bgrant(?:s|ed)? (?:review|certiorari|cert)\b|\bremand(?:s|ed)?\b|\bcontempt\b", "other", 2),
    (r"\bchalleng(?:e|es|ed|ing) (?:the |a |an |its )?(?:\w+ ){0,4}(?:law|laws|ban|order|rules?|statute|act|"
     r"decision|fine|penalty|ruling)\b|\bcomplaint (?:against|with|filed|before)\b|"
     r"\baccus(?:e|es|ed|ing) (?:\w+ ){0,4}of (?:violating|breaching|abusing|failing|illegally)\b|"
     r"\babuse of (?:its |a )?dominan\w+\b|\bdominant (?:position|market position)\b", "lawsuit", 2),
    # the same in the languages of the non-English press most often reporting these fights
    (r"\b(?:Klage\w*|klagt|verklagt|Anklage|Bußgeld\w*|Strafe|Geldstrafe|Höchststrafe|Haftstrafe|Millionenstrafe|Rekordstrafe|Strafzahlung|verhängt|verurteil\w*|Verstoß\w*|Urteil|Gericht\w*|"
     r"Staatsanwaltschaft|Durchsuchung|Razzia|Verfahren|Ermittlung\w*|ermittelt|Datenschutzbehörde|Aufsichtsbehörde|"
     r"Kartellamt|gesperrt|Sperre|Verbot|verboten)\b|"
     r"\b(?:amende|sanctionn\w+|Conseil d'[EÉ]tat|tribunal|condamn\w+|plainte|référé|recours|jugement|enquête)\b|"
     r"\b(?:demanda|multa|multó|juez|jueza|bloqueo|bloqueio|suspensión|suspensão|sanción|tribunal|investigación|"
     r"prohíbe|perquisition|interdit|bloqué)\b",
     "other", 2),
    (r"\b(?:federal|district|appeals|appellate|high|supreme|circuit|magistrate) (?:court|judge)s?\b|"
     r"\bSupreme Court\b|\bjudges?\b|\bjustices\b|\bmagistrate\b|\bruling\b|\bruled\b|\bverdict\b|"
     r"\bappeal(?:s|ed)?\b|\bmoot\b|\bcertiorari\b|\bmotion to (?:quash|dismiss|stay|compel)\b|"
     r"\blitigat(?:ion|ing|e|es|ed)\b|\bsummary judgment\b|\bdeclaratory judgment\b|"
     r"\bcourt (?:hearings?|filings?|documents?|papers|records)\b|"
     r"\b(?:legal|court) proceedings\b|\border (?:(?:that|which) would )?(?:requir|compel|forc|direct)\w*\b|"
     r"\bcase against\b|\bcounsel for\b", "other", 2),
    (r"\b(?:government|govt|authorities|ministry|minister|regulators?|police|prosecutors?|agency|officials) "
     r"(?:\w+ ){0,2}?demand(?:s|ed|ing)?\b|\bgovernment (?:orders?|demands?)\b", "other", 2),
    (r"\b(?:hand(?:s|ed|ing)?|turn(?:s|ed|ing)?) over (?:\w+ ){0,5}?to (?:the )?(?:\w+ )?(?:authorities|police|"
     r"prosecutors|investigators|government|FBI|officials)\b|\blegally binding (?:order|request|demand)s?\b",
     "other", 2),
    (r"\bordered to pay\b|\b(?:pay|paid|award(?:s|ed)?|award of|seeks?|seeking|claims?) (?:\$?[\d.,]+ ?(?:million|billion|bn|m)? )?"
     r"(?:(?:in|of) )?(?:\w+ )?damages\b|\b(?:found|held|is|was|were) (?:\w+ )?liable\b", "lawsuit", 2),
    (r"\balleg(?:e|es|ed|ing|ations?)\b", "other", 1),
    (r"\b(?:on|to|at|for|stand|stands|standing|face|faces) trial\b|\b(?:jury|antitrust|criminal|civil|bench|"
     r"remedies|landmark) trials?\b|\btrial (?:court|judge|date|begins|starts|opens|ended|verdict)\b", "other", 2),
    (r"\bcourts?\b(?! of public opinion)|\bjury\b|\bplaintiffs?\b|\bdefendants?\b|\bamicus\b|"
     r"\bFirst Amendment\b|\bunconstitutional\b|\brules?\b", "other", 1),
    (r"\bv\.\s+(?-i:[A-Z])|\bvs\.\s+(?-i:[A-Z])", "lawsuit", 1),  # "v. Barr", not "vs. what"
    (r"\b(?:unmask|identify|identities|identity|user data|user information|customer data|personal info\w*|"
     r"account holders?|records about)\b", "other", 0),
)

# Government / court / regulator actors (case-insensitive): a demand needs someone to make it.
AUTHORITY_TERMS = (
    r"\bgovernment\b|\bgovt\b|\bgov['’]t\b|\bfeds?\b|\bfederal\b|\bauthorities\b|\bministry\b|\bminister\b|"
    r"\bregulators?\b|\bcommission(?:er)?\b|\bprosecutors?\b|\bpolice\b|\bcourts?\b|\bjudges?\b|"
    r"\battorneys? general\b|\bjustice department\b|\bdepartment of\b|\bagency\b|\bstate of\b|"
    r"\bgrand jury\b|\bcongress\b|\bparliament\b|\badministration\b"
)

# --- negative contexts -----------------------------------------------------------------------------------
# Lawmaking and politics: not a legal action by itself (case-insensitive).
LEGISLATIVE_TERMS = (
    r"\bbills?\b|\blegislation\b|\blegislators?\b|\blawmakers?\b|\bsenators?\b|\bsens\.|\bcongressional\b|"
    r"\bintroduced\b|\bproposal\b|\bproposed\b|\btestimony\b|\btestif(?:y|ied|ies)\b|\bhearing before\b|"
    r"\blobbying\b|\bsenate (?:passes|passed|votes?)\b|\bhouse (?:passes|passed|votes?)\b|"
    # rules being made, not enforced: an agreement on a law, a draft, what a rule "would" make platforms do
    r"\b(?:landmark|provisional|political) (?:deal|agreement)\b|\b(?:draft|proposed) (?:law|rules?|regulations?)\b|"
    r"\bwould (?:force|require|oblige|compel|ban|bar|prohibit)\b"
)
# Things that turn legislative/policy text into a real dispute (case-insensitive).
HARD_ACTION_TERMS = (
    r"\bsu(?:es|ed|ing)\b|\bsue\b|\blawsuits?\b|\bsubpoena\w*\b|\bsummons\b|\bwarrants?\b|\bcourt orders?\b|"
    r"\bjudge\b|\bfined\b|\bindicted\b|\bcharged\b|\binjunction\b|\bgag orders?\b|\bruled\b|\bruling\b|"
    r"\bnational security letters?\b|\benforcement action\b|\bprobe into\b|\binvestigat\w+\b|"
    r"\bsettlement\b|\bappeal\w*\b|\bv\.\s|\bcase against\b"
)
# Aggregate transparency statistics (case-insensitive).
TRANSPARENCY_TERMS = r"\btransparency report\b|\bgovernment (?:data )?requests\b|\brequests for user data\b"
STATISTIC_TERMS = r"\b\d+(?:\.\d+)? ?(?:percent|%)\b|\b\d{1,3}(?:,\d{3})+ requests\b|\bbiannual\b|\bper cent\b"

# A person (not the platform) is the accused; the platform is where the posts were (case-insensitive).
PERSON_ACCUSED = (
    r"\b(?:man|woman|teen(?:ager)?|boy|girl|student|suspect|resident|person|people|defendant|father|mother|"
    r"\d{2}-year-old|men|women|user|probationer|rapper|influencer|activist|journalist)\b[^.]{0,80}?"
    r"\b(?:arrested|charged|convicted|sentenced|indicted|jailed|detained|pleaded|faces? charges|"
    r"appeals? (?:his|her|their) (?:[\w-]+ ){0,3}?(?:conviction|sentence))\b|"
    r"\b(?:arrest(?:s|ed)?|charg(?:es|ed)|convict(?:s|ed)?|sentenc(?:es|ed)|jail(?:s|ed)?|detain(?:s|ed)?) "
    r"(?:a |an )?(?:\w+ ){0,3}(?:man|woman|teen(?:ager)?s?|boy|girl|student|resident|person|men|women|gangs?|"
    r"suspects|couple|youths|hackers|scammers|fraudsters)\b"
)
# Someone prosecuted over what they posted: the platform is where the speech was, not a party
# (case-insensitive). "held over a post", "remanded into custody over uploads", "booked for tweets".
SPEECH_OFFENCE = (
    r"\b(?:arrest(?:ed|s)?|held|detained|remanded|booked|jailed|sentenced|convicted|charged|indicted|"
    r"prosecuted|questioned|fined|punished|sued|detention|custody)\b[^.]{0,60}?\b(?:over|for|after|about|"
    r"because of) (?:a |an |the |his |her |their |alleged(?:ly)? |several |some )?(?:[\w'-]+ ){0,3}?"
    r"(?:posts?|tweets?|videos?|uploads?|comments?|remarks|messages?|memes?|content|threats?|statements?)\b|"
    r"\b(?:journalist|youth|blogger|poet|comedian|critic|politician|lawmaker|official|cleric|teacher|doctor|"
    r"lawyer|singer|actor|actress|YouTuber|TikToker|influencer|activist|student|students|teen|teens|man|woman|"
    r"admin|moderator)s? (?:\w+ ){0,2}?(?:arrested|held|detained|remanded|booked|jailed|sentenced|convicted|charged)\b"
)
# Platforms as a class: the party of suits over platform laws ("social media companies sue", "tech trade
# groups challenge"); a feature of its own, weighed by the fit like any other.
GENERIC_PLATFORMS = (
    r"\b(?:social[- ]media (?:companies|platforms|firms|giants|sites|networks|apps)|tech (?:companies|giants|"
    r"firms|platforms)|Big Tech|online platforms|(?:digital|tech|internet|technology) (?:industry |services )?"
    r"(?:trade )?(?:groups|associations|industry groups)|tech (?:industry )?trade groups?)\b"
)
# Platform named only as the place of speech: "on Facebook", "a Facebook post" ({p} = platform alias).
VENUE_TEMPLATES: tuple[str, ...] = (
    r"\b(?:on|via) (?:his |her |their |a |the )?(?:{p})\b(?!['’]s)",
    r"\b(?:{p}) (?:posts?|pages?|threats?|messages?|videos?|comments?|live|group|chats?|account|profile|"
    r"reviews?|photos?|status|rant|posting|tweets?)\b",
)
# Executives: a platform's boss charged is the platform's fight (case-insensitive words around {p}).
EXECUTIVE_TEMPLATES: tuple[str, ...] = (
    r"\b(?:{p})(?:['’]s)? (?:CEO|chief|boss|founder|co-founder|cofounder|executive|owner|head|president)\b",
    r"\b(?:CEO|chief executive|boss|founder|co-founder|cofounder|owner|head) of (?:{p})\b",
)
# Platform as a party: templates around {p}. Case-insensitive; a small window of words allowed.
PARTY_TEMPLATES: tuple[str, ...] = (
    r"\b(?:{p})(?:,? Inc\.?|['’]s?| Corp\.?| Inc\.?['’]s)? (?:\w+ ){0,2}?(?:sues?|sued|suing|files?|filed|"
    r"challeng\w+|appeal\w*|fights?|fought|contests?|contested|rejects?|rejected|refus\w+|opposes|"
    r"wins?|won|loses?|lost|settles?|settled|pays?|paid|agreed|agrees|drops?|dropped|pulls?|pulled|withdr\w+|"
    r"must|can['’]?t|cannot|is suing|was ordered|was fined|is fined|was sued|is being sued|faces?|"
    r"moved?|asks?|asked|argues|argued|complied|comply|bows|returns|violat\w+|held in contempt|"
    r"(?:is |was |has been |had been )?(?:fined|sued|ordered|charged|banned|blocked|suspended|accused|"
    r"hit with|slapped with|"
    r"summoned|subpoenaed|unblocked|compelled|forced|held))\b",
    r"\b(?:sue[sd]?|suing|against|accus(?:e|es|ed|ing)|fined?|fines|ordered|orders|order|compel\w*|force[sd]?|subpoena\w*|"
    r"summon\w*|v\.|vs\.?|versus|ban(?:s|ned)?|ban on|suspend\w*|suspension of|block(?:s|ed|ing)?|"
    r"blocking of|unblocking of|probe into|investigation (?:into|of)|investigat\w+|"
    r"settlement with|lifted (?:its |the )?(?:ban|suspension) (?:on|of)|help|"
    r"warrant (?:to|on|served on)|served|require[sd]?|requiring|directs?|directed|"
    r"told|tells|demand\w* (?:from|that|of)|demand(?:s|ed|ing)?|served (?:on|upon))\s+(?:(?!on |via )\w+ ){0,4}?"
    r"(?:{p})\b",
    r"\b(?:{p})(?:['’]s)? (?:\w+ )?(?:lawsuit|suit|case|appeal|motion|challenge|objection|petition|"
    r"complaint|fight|battle|refusal|victory|loss|contempt|warrant case)\b",
    r"\b(?:counsel|lawyers?|attorneys?) (?:for|representing) (?:{p})\b|\b(?:{p})['’]s (?:lawyers|attorneys|counsel)\b",
    r"\b(?:{p})\s*[-–]\s*(?:FBI|DOJ|FTC|SEC|EU)\b|\b(?:FBI|DOJ|FTC|SEC|EU)\s*[-–]\s*(?:{p})\b",
    r"\b(?:take|takes|taking|took|taken|haul\w*|drag\w*) (?:(?!on |via )\w+ ){0,2}?(?:{p}) (?:back )?(?:to|into|before) court\b",
)

# The stage cues (which development an article reports) are in stage_cues.py.

# Words that are never distinctive for grouping (lowercase).
STOPWORDS: frozenset[str] = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "although", "am", "an", "and", "any", "are", "around", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "last", "late", "later", "latest", "least", "less", "like", "made", "make", "many", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "new", "news", "next", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per", "said", "same", "says", "say", "she", "should", "since", "so", "some", "still", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "though", "through", "thus", "to", "too", "two", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "year", "years", "month", "months", "week", "weeks", "day", "days", "today", "yesterday", "tomorrow", "company", "companies", "firm", "giant", "tech", "technology", "social", "media", "platform", "platforms", "site", "service", "network", "user", "users", "people", "government", "federal", "state", "states", "court", "courts", "judge", "judges", "case", "cases", "lawsuit", "lawsuits", "legal", "law", "laws", "order", "orders", "ruling", "ruled", "rules", "filed", "filing", "sued", "sues", "suing", "suit", "appeal", "appeals", "million", "billion", "percent", "report", "reports", "reported", "according", "told", "statement", "inc", "corp", "ltd", "official", "officials", "agency", "department", "justice", "attorney", "attorneys", "district", "county", "city", "first", "second", "third", "time", "times", "world", "country", "countries", "including", "several", "among", "against", "could", "would", "should", "week", "internet", "online", "data", "information", "public", "private", "chief", "executive", "ceo", "announced", "announcement", "spokesperson", "spokesman", "spokeswoman", "asked", "says", "saying", "still", "part", "parts"]
)
