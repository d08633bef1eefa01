#!/usr/bin/env python3
# ruff: noqa: UP031, SIM115
"""Shortlist candidate items for hand-labelling (casewatch real-stream benchmark).

Usage: python real_stream_shortlist.py /work/shared/feeds/real  [--json]

Rule: for every entry of every *.xml file (parsed with feedparser), take
title and summary, strip HTML tags, unescape entities, collapse whitespace.
Text = title + " " + summary.  The entry is shortlisted when, inside some
window of the text, BOTH
  (a) an ENTITY term (a named online platform / tech company / brand, a
      generic online-service word such as platform, app, website, social
      media, exchange, tech firm, chatbot, German equivalents, or a
      corporate suffix such as Inc/LLC/Corp/Ltd/GmbH) and
  (b) a LEGAL term (court, judge, sue/lawsuit, fine, probe, investigation,
      regulator, ban, block, order, subpoena, warrant, antitrust,
      competition authority, settlement, charges, prosecutor, raid, seize,
      ruling, appeal, injunction, EU Commission, DSA/DMA/GDPR, FTC/DOJ...,
      "v."/"vs." in case captions, suspend/licence, law/legislation, and
      German equivalents; some German stems also count inside compounds)
occur.  The window is the whole text when it is at most 1500 characters
long; for longer texts (full-content feeds) the two terms must occur within
400 characters of each other.  Matching is case-insensitive on word
boundaries, except for brand names that are also ordinary words (X, Apple,
Signal, Threads, Line, Snap, Bolt, Grab, Kick, Meta, Ring, Steam, Gemini,
Claude, Discord, Amazon, Temu...), which must be capitalised as written.
Output: one tab-separated line per shortlisted item:
file, index-in-file (0-based feedparser entry order), key (id/guid, else
link), link; with --json, one JSON object per item incl. title/summary
(for local checking only; do not store that text).  A count line goes to
stderr.  The exact term lists below are the rule.
"""
import glob
import html
import io
import json
import os
import re
import sys

import feedparser

ENTITY_CI = r"""
google alphabet youtube facebook instagram whatsapp tiktok bytedance douyin
snapchat telegram reddit pinterest linkedin twitter tweet tweets microsoft
app\s?store play\s?store google\s?play itunes icloud
uber lyft doordash instacart deliveroo glovo just\s?eat zomato swiggy ola rapido gojek
airbnb booking\.com expedia tripadvisor
shein aliexpress alibaba taobao pinduoduo tencent wechat weibo baidu kuaishou xiaohongshu rednote
netflix spotify twitch roblox epic\s?games fortnite valve playstation\s?network xbox
openai chatgpt anthropic xai grok perplexity character\.ai midjourney stability\s?ai deepseek mistral hugging\s?face copilot
binance coinbase ftx kraken bybit okx bitfinex crypto\.com tether
cloudflare github gitlab wikipedia wikimedia ebay paypal stripe zoom yahoo bing naver kakao
flipkart paytm phonepe jio reliance\s?jio mercado\s?libre tokopedia shopee lazada
rumble truth\s?social parler gettr onlyfans pornhub aylo tinder bumble grindr vinted zalando
yandex vkontakte ozon wildberries mastodon bluesky substack patreon proton\s?mail protonmail tutanota
nvidia samsung tesla starlink spacex huawei palantir clearview nso\s?group pegasus flock worldcoin
aws azure oracle ibm intel qualcomm broadcom oneplus xiaomi lenovo dropbox sony nintendo hungrypanda
musk zuckerberg bezos altman pichai nadella cook\s?tim fantasy\s?sports online\s?gaming gaming games? video\s?games? youtube\w* tiktok\w* influencers?
big\s?tech tech\s?giants? tech\s?firms? tech\s?compan(?:y|ies) technology\s?compan(?:y|ies) internet\s?compan(?:y|ies) tech\s?platforms?
platforms? apps? application website[s]? site[s]? web\s?site online internet social\s?media social\s?network(?:s|ing)?
messaging messenger search\s?engines? marketplaces? e-?commerce online\s?retailers? streaming streamer
crypto(?:currency)?\s?exchanges? exchanges? crypto(?:currency)? bitcoin chatbots? ai\s?compan(?:y|ies) ai\s?firms? artificial\s?intelligence
cloud web\s?host(?:s|ing)? hosting\s?provider email\s?provider e-?mail ride-?hailing gig\s?economy delivery\s?apps?
netchoice ccia computer\s?&\s?communications\s?industry
inc\.? incorporated corp\.? corporation llc l\.l\.c\.? ltd\.? limited plc gmbh
plattform(?:en)? soziale[nr]?\s?(?:netzwerke?|medien) netzwerk(?:e|en)? internetkonzern[es]* techkonzern[es]* konzern[es]* dienst(?:e|es|en)?
anbieter[ns]? onlinehändler[s]? onlineshops? suchmaschinen? messenger-?dienst(?:e|en)? onlinedienst(?:e|en)? internetriesen? tech-?riesen?
"""
ENTITY_CS = r"""
X Meta Apple Amazon Temu Signal Threads Line Snap Bolt Grab Kick Ring Steam Gemini Claude Discord Threads Viber Slack Teams Outlook Gmail Alexa Siri Kindle Prime
Twitch Match\s?Group Epic Stripe Zoom Ozon VK Yandex Bing Kakao Naver AI OpenAI Co\. AG S\.A\. SE
"""
LEGAL_CI = r"""
courts? courtroom judges? judicial judiciary tribunal sue[sd]? suing lawsuits? suits? litigation class[\s-]action complaints? plaintiffs? defendants?
fine[sd]? fining penalt(?:y|ies) probes? probing investigat\w* inquiry regulators? regulatory watchdogs? authorit(?:y|ies)
ban(?:s|ned|ning)? block(?:s|ed|ing)? blockade order(?:s|ed)? subpoena\w* summons(?:ed)? warrants? gag\s?orders? antitrust anti-?trust monopol\w* competition
settle(?:s|d|ment|ments)? charge[sd]? prosecut\w* indict\w* raid(?:s|ed)? seize[sd]? seizure ruling ruled rules? verdict appeal(?:s|ed)? injunction\w* trial
commission dsa dma gdpr ftc doj justice\s?department department\s?of\s?justice sec cma cnil ofcom cci data\s?protection privacy
copyright infring\w* patents? legal lawyers? attorney\w* takedown contempt illegal unlawful violat\w* breach(?:es|ed)? sanction\w* arrest\w* police
gericht\w* klage\w* klagt verklag\w* urteil\w* bußgeld\w* bussgeld\w* strafe\w* kartell\w* ermittl\w* verfahren\w* behörde\w* verbot\w* verboten
sperr\w* gesperrt anordnung\w* durchsuch\w* beschlagnahm\w* datenschutz\w* eu-kommission kommission wettbewerb\w* abmahn\w* richter\w* staatsanwalt\w*
v\. vs\.? versus suspend\w* suspension licen[cs]\w* shakedown regulat\w* prohibit\w* demands? deplatform\w* outlaw\w*
law laws legislation regulations? crackdown shut\s?down censor\w* restrict\w* accus\w* alleg\w* fbi untersuch\w* geklagt
berufung einstweilige vergleich rechtsstreit\w* anklage\w* vorwurf vorwürfe untersag\w* regulier\w* aufsicht\w* bundeskartellamt verbraucherschütz\w*
"""
# German compounds: these stems also count when inside a longer word
LEGAL_DE_SUB = r"(?:gericht|klage|klagt|urteil|bußgeld|bussgeld|strafe|kartell|ermittl|verbot|sperr|untersuch|datenschutz|verfügung|beschlagnahm|durchsuch|abmahn|anklage)"
ENTITY_DE_SUB = r"(?:plattform|dienst|konzern|netzwerk|anbieter|onlinehändler|onlineshop|suchmaschine|internetriese|techriese|tech-riese)"

def alt(words):
    return "|".join(w for w in words.split())
ENT_CI = re.compile(r"(?<![\w-])(?:%s)(?![\w])|%s" % (alt(ENTITY_CI), ENTITY_DE_SUB), re.I)
ENT_CS = re.compile(r"(?<![\w-])(?:%s)(?![\w])" % alt(ENTITY_CS))
LEG = re.compile(r"(?<![\w-])(?:%s)(?![\w])|%s" % (alt(LEGAL_CI), LEGAL_DE_SUB), re.I)
WINDOW = 400
SHORT = 1500

def clean(s):
    s = re.sub(r"<[^>]+>", " ", s or "")
    return re.sub(r"\s+", " ", html.unescape(s)).strip()

def matches(text):
    ents = [m.start() for m in ENT_CI.finditer(text)] + [m.start() for m in ENT_CS.finditer(text)]
    legs = [m.start() for m in LEG.finditer(text)]
    if not ents or not legs:
        return False
    if len(text) <= SHORT:
        return True
    legs.sort()
    import bisect
    for e in ents:
        i = bisect.bisect_left(legs, e - WINDOW)
        if i < len(legs) and legs[i] <= e + WINDOW:
            return True
    return False

def items(root):
    for p in sorted(glob.glob(os.path.join(root, "*.xml"))):
        d = feedparser.parse(io.BytesIO(open(p, "rb").read()))
        for i, e in enumerate(d.entries):
            t, s = clean(e.get("title", "")), clean(e.get("summary", ""))
            yield dict(file=os.path.basename(p), idx=i, key=e.get("id") or e.get("link", ""),
                       link=e.get("link", ""), title=t, summary=s)

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/feeds/real"
    as_json = "--json" in sys.argv
    n = m = 0
    for it in items(root):
        n += 1
        if matches(it["title"] + " " + it["summary"]):
            m += 1
            if as_json:
                print(json.dumps(it, ensure_ascii=False))
            else:
                print("\t".join([it["file"], str(it["idx"]), it["key"], it["link"]]))
    print(f"# items_total={n} shortlisted={m}", file=sys.stderr)

if __name__ == "__main__":
    main()
