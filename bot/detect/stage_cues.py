"""Stage cues: which development of a dispute an article reports. Data only, like ``lexicons``.

Each entry is (regex, stage, priority), case-insensitive; the priority orders the stages of a case's
life (a later development outranks an earlier one when a text carries both). ``stages.py`` applies
them (the headline's cues first), ``patterns.py`` compiles them once.
"""

from __future__ import annotations

# (regex, stage, priority). Case-insensitive. Higher priority = a later development in a case's life.
STAGE_TERMS: tuple[tuple[str, str, int], ...] = (
    # closing
    # paying a regulator's penalty is a fine, even when agreed; "to settle" still makes it a settlement
    (r"\bsettle(?:s|d|ment)?\b|\bagreed to settle\b|\bagreed to pay\b(?![^.]{0,50}\b(?:penalt|fine))|"
     r"\breach(?:es|ed)? (?:a )?deal\b", "settled", 80),
    (r"\b(?:withdr(?:aw|aws|ew|awn)|drop(?:s|ped)?|rescind(?:s|ed)?|pull(?:s|ed)?|revok(?:es|ed)|"
     r"abandon(?:s|ed)?) (?:its |the |an |a |their )?(?:\w+ )?(?:summons|demand|order|request|subpoena|warrant|"
     r"application)\b|\b(?:summons|demand|subpoena|warrant|request|order) (?:was |were |has been |is )?"
     r"(?:withdrawn|dropped|rescinded|revoked)\b|\bno longer (?:needs|seeks|requires)\b|"
     r"\blift(?:s|ed)? (?:its |the |a )?(?:\w+[- ]\w+ |\w+ )?(?:ban|suspension|block)\b|"
     r"\b(?:ban|suspension|block) (?:is |was |has been )?(?:lifted|ends|ended)\b|"
     r"\bunblock(?:s|ed|ing)?\b|\blifting\b|\b(?:partially |fully )?restored\b|\brestor(?:es|ing) (?:access|services?)\b|"
     r"\baccessible again\b|\bback online\b", "withdrawn", 78),
    (r"\b(?:drop(?:s|ped|ping)?|pull(?:s|ed)?|withdr(?:aw|aws|ew|awn)|abandon(?:s|ed)?|end(?:s|ed)?) "
     r"(?:its |the |a |her |his |their )?(?:\w+ ){0,2}?(?:lawsuit|suit|case|complaint|challenge|"
     r"legal (?:action|fight|challenge))\b|\bvoluntarily dismiss\w*\b|\b(?:lawsuit|suit|case) "
     r"(?:was |has been |is )?(?:dropped|withdrawn)\b|\bdismissing its lawsuit\b", "dropped", 79),
    (r"(?<!to )(?<!bid to )\bdismiss(?:es|ed)? (?:the |a |an |its |their |his |her )?(?:[\w']+ ){0,2}?(?:case|lawsuit|suit|"
     r"complaint|petition|charges|claims)\b|\bthrows? out\b|\brefus(?:es|ed) to (?:hear|review|take up)\b|"
     r"\b(?:upholds?|upheld|affirm(?:s|ed)?) (?:the )?dismissal\b|\bbeats? (?:[\w']+ ){0,3}?(?:suit|lawsuit|case|challenge)\b|"
     r"\bdeclin(?:es|ed) to (?:hear|review|take up)\b|"
     r"\b(?:case|lawsuit|suit|complaint|charges) (?:was |were |has been |is )?(?:dismissed|thrown out|tossed)\b|"
     r"\bmoot\b|\bthrew out\b|\bw(?:ins?|on) (?:a |the )?dismissal\b|\btoss(?:es|ed) (?:out )?(?:the )?(?:\w+ )?(?:case|lawsuit|suit)\b",
     "dismissed", 77),
    (r"\bbows? to\b|\bcomplied with\b|\bagreed to (?:meet|comply|remove|hand over|open|appoint)\b|"
     r"\b(?:returns?|back online|reinstated|restored|lifted|lifting|unblock\w*)\b[^.]{0,60}\bafter\b[^.]{0,40}"
     r"\b(?:pa(?:ys|ying|id)|complying|compl(?:ied|ies)|agree(?:d|ing)|meeting)\b|"
     r"\b(?:handed|turned) over\b|(?<!to )(?<!not )\bcompl(?:ies|ying) with\b|\bmoves? to comply\b|\bin compliance with\b|"
     # not a bare "shares information": users share it too
     r"\bwill (?:share|hand over|turn over|provide|comply)\b|(?<!to )(?<!must )(?<!not )\b(?:hands? over|turns? over) (?:the )?"
     r"(?:\w+ ){0,3}?(?:data|records|information|details)\b", "complied", 81),
    (r"\bfined\b|\bfines? (?:of|worth|totall?ing)\b|\bpa(?:y|ys|id|ying) [^.]{0,40}?\bpenalt(?:y|ies)\b|\bpay (?:a |the |an )?(?:\w+ ){0,3}(?:fine|penalty)\b|"
     r"\b(?:fine|penalty) (?:over|for)\b|\b\$[\d.,]+ ?(?:million|billion|bn|m)\b[^.]{0,20}\bfine\b|"
     r"\bpays? [^.]{0,30}\bfine\b|\bfines (?-i:[A-Z])|\bslaps? (?:\w+ ){0,4}?with\b|\b(?:million|billion) (?:\w+ )?fine\b|\bimpos(?:es|ed|ing) (?:a )?(?:\w+ ){0,4}?(?:fine|penalty|sanctions)\b|"
     r"\b(?:penalty|fine) (?:on|against)\b|\bsanctions? (?:on|against)\b|\bslapped with\b|\bamende\b|\bBußgeld\w*\b",
     "fined", 70),
    # appeals and rulings; a court upholding or striking down a fine is a ruling on it, the newer news
    (r"\b(?:uph(?:eld|olds?)|affirm(?:s|ed)|confirm(?:s|ed|ing)|fails? before|overturn(?:s|ed)?|annul(?:s|led)?|"
     r"quash(?:es|ed)?|str(?:uck|ikes) down|set(?:s)? aside) (?:[^.]|\.\d){0,50}\b(?:fines?|penalt(?:y|ies)|sanctions?)\b|"
     r"\b(?:fines?|penalt(?:y|ies)) (?:\w+ ){0,4}?(?:upheld|fails|overturned|annulled|quashed|struck down|set aside)\b",
     "ruling", 72),
    (r"\bappeal(?:s|ed|ing)? (?:the |a |an |its |of )?(?:[\w']+ ){0,3}?(?:ruling|decision|order|verdict|judgment|dismissal|"
     r"fine|penalty|sanction|ban|conviction)\b|\bappealing\b|\bon appeal\b|\bto revive\b|\bto overturn\b|"
     r"\bchalleng(?:e|es|ed|ing) (?:the |a |an |its )?(?:[\w']+ ){0,3}?(?:ruling|decision|order|fine|penalty|sanction)\b|"
     r"\bfiled? (?:an |a )?(?:notice of )?appeal\b|\bwill appeal\b|\bplans? to appeal\b|\bto appeal\b|"
     r"\b(?:agreed|agrees|votes?|voted) to (?:review|hear|consider|take up)\b|\bto review\b|"
     r"\bpetition(?:s|ed)? (?:the |for )\b|\bcertiorari\b|\bemergency (?:motion|relief|stay)\b|"
     r"\bmotion to stay\b|\bexpedited appeal\b|\bappeal to the\b|\bseeks? (?:to )?(?:overturn|reverse)\b",
     "appeal", 60),
    (r"\binjunction (?:was |is )?(?:granted|issued)\b|\bgrant(?:s|ed)? (?:a |an )?(?:\w+[- ])?(?:\w+ )?"
     r"(?:injunction|restraining order|interim order)\b|\b(?:interim|temporary|preliminary) "
     r"(?:injunction|order) (?:requiring|to)\b|\binjunction to compel\b|\binjunction requiring\b",
     "injunction", 55),
    (r"\brul(?:es|ed|ing)\b|\bdecision\b|\bdecided\b|\baffirm(?:s|ed)\b|\buph(?:eld|olds)\b|\bheld that\b|"
     r"\bverdict\b|\bfound (?:that )?\b|\bjudgment\b|\bcan['’]t be forced\b|\bcannot be forced\b|"
     r"\bmust (?:produce|disclose|reveal|hand over|comply|pay|remove|stop|allow)\b|"
     r"\bcourt (?:says|said|requires|required)\b|\bheld (?:apple|\w+ )?in contempt\b|\bin contempt\b|"
     r"\bdenied\b|\bdenial of\b|\bgranted (?:the )?(?:government['’]s )?motion\b|\bwins? (?:a |the )?"
     r"(?:court )?(?:appeal|case|ruling)\b|\bwon (?:a |the )?(?:court )?(?:appeal|case)\b|\bstruck down\b|"
     r"\border(?:ed|s) (?:the )?(?:immediate )?(?:suspension|blocking|removal)\b|"
     r"\bcourt (?:has )?ordered\b|\bjudge (?:has )?ordered\b|\bopinion\b|\brefused to extend\b|"
     r"\bnot to extend\b|\bsided with\b|\bdodge\b|\bfailed to convince\b|"
     r"\b(?:court|judge|justice|tribunal|bench|magistrate)s?(?:'s)? (?:\w+ ){0,2}?(?:orders?|directs?|directed|suspends?|"
     r"suspended|blocks?|blocked|bars?|barred|allows?|allowed|denies|rejects?|refuses|finds|holds|grants?|strikes|"
     r"deals?|sides)\b|\blos(?:es|t|ing) (?:a |its |the |his |her |their )?(?:[\w']+ ){0,2}?(?:bid|appeal|case|challenge|"
     r"fight|battle|motion|request)\b|\bcan['’]?t (?:bar|block|stop|quash)\b|\bunconstitutional\b|\bsetback\b|"
     r"\b(?:rules?|ruled) (?:against|for|in favou?r)\b", "ruling", 50),
    (r"\bhearings?\b|\bcourt hears\b|\bheard\b|\boral argument\b|\btrial\b|\bpostpone\w*\b|\bdelay(?:ed)?\b|"
     r"\burg(?:es|ed) (?:a |the )?(?:\w+ )?(?:judge|court)\b|\bremedies\b|\bgrinder\b|\bargue[sd]? before\b|"
     r"\bcourt met\b|\bschedul(?:es|ed|ing)\b|\bissues? notices?\b|\bnotices? to\b|\btrial date\b|\bscrutiny\b|"
     r"\boral arguments?\b|\bhears? (?:arguments?|the case|a challenge)\b", "hearing", 40),
    (r"\bsu(?:es|ed|ing)\b|\bsue\b|\bfiled\b|\bfiles\b|\bto file\b|\blawsuit\b|\bcomplaint\b|\bcharged\b|"
     r"\bindicted\b|\bbail\b|\bjudicial supervision\b|\baccus(?:es|ed|ing)\b|\bbrought (?:a |an )\b|"
     r"\benforcement action\b|\bcharges\b", "filed", 30),
    (r"\bsummons(?:es|ed)?\b|\bsubpoena(?:s|ed)?\b|\bdemand(?:s|ed|ing)?\b|\brejects?\b|\bfight\b|"
     r"\bcontest(?:s|ing)?\b|\binvestigat\w+\b|\bprobe\b|\bunder \w+ microscope\b|\bwants answers\b|"
     r"\bsuspend(?:s|ed|ing)?\b|\bban(?:s|ned)?\b|\border(?:ed|s)? (?:\w+ ){0,2}to\b|\bcourt order\b|"
     r"\brefus(?:es|ed)\b|\bwarrant\b|\bnational security letter\b|\bseiz(?:e|es|ed|ure)\b|\braid(?:s|ed)?\b|"
     r"\bshut(?:s)? down\b|\bblock(?:s|ed)?\b|\bseeks? to (?:fine|ban|block)\b|\bpresses? for\b|\bultimatum\b",
     "demand", 20),
    (r"\bcustody\b|\barrest(?:ed)?\b|\bdetained\b", "other", 10),
)
