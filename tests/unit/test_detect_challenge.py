"""A challenge set of report wordings written for casewatch (never copied from the corpus or a feed).

Each sentence is a headline and lede as an outlet might write them, about a service or a legal step the
development corpus does not cover: services named by a word that is also an ordinary word (Signal, Kick,
Zoom, Snap, Proton), settlements and suits worded without "lawsuit", a government's demand, a court
case "taken" to court, a guilty plea, data handed over to authorities. Set A drove this session's
changes to detection; set B was written before them: recall 0.567 before, 0.867 at its first (unseen)
measurement after set A's changes, 1.000 once its misses' classes were added too (so now in-sample);
false alerts 1 of 19 throughout. Set C (see its comment) was written after B's changes. All stay as
regression tests; the corpus cross-validation in
``benchmarks.quality`` remains the out-of-sample measure.
"""

from __future__ import annotations

import pytest

from bot.detect import context
from bot.detect.detector import detect
from bot.models import ArticleText, Stage

RELEVANT_A = [
    (
        "Hosting provider Cloudtrail ordered to unmask customer behind piracy site",
        "A federal judge granted the studios' motion, requiring the web host to identify the operator.",
    ),
    (
        "Nintendo subpoenas Discord to identify Pokemon leaker",
        "The game maker asked a California court to order the chat service to hand over the user's name and address.",
    ),
    (
        "Coinbase fights IRS demand for records on 14,000 customers",
        "The cryptocurrency exchange said the summons was overly broad.",
    ),
    (
        "Swiss court orders Proton to log IP address of activist",
        "The encrypted email provider said it was legally compelled to comply with the order.",
    ),
    (
        "Rumble sues Google, alleging search rigging to favour YouTube",
        "The video platform filed an antitrust complaint in federal court seeking $2 billion.",
    ),
    (
        "OpenAI sued by newspaper publishers over ChatGPT training",
        "Eight dailies filed the copyright lawsuit in New York on Tuesday.",
    ),
    (
        "Italian privacy watchdog fines OpenAI 15 million euros",
        "The Garante said the ChatGPT maker processed personal data without a legal basis.",
    ),
    (
        "Turkey blocks access to Instagram",
        "Authorities restricted the photo-sharing app after an official criticised its handling of posts.",
    ),
    (
        "Russia throttles YouTube as pressure on Google grows",
        "The communications regulator Roskomnadzor slowed the video service's traffic across the country.",
    ),
    (
        "Vietnam orders telecom firms to block Telegram",
        "The ministry said the messaging app had failed to cooperate with authorities investigating crimes.",
    ),
    (
        "Judge tosses lawsuit against Reddit over moderators' bans",
        "The court found Section 230 shielded the forum site from the claims.",
    ),
    (
        "Appeals court revives suit accusing Snap of defective design",
        "A three-judge panel reversed the dismissal and sent the case back.",
    ),
    (
        "Amazon agrees to pay $2.5 billion to settle FTC Prime case",
        "The settlement resolves claims the retailer tricked shoppers into subscriptions.",
    ),
    (
        "EU hits Apple with 500 million euro fine over App Store rules",
        "The European Commission said the company broke the Digital Markets Act.",
    ),
    (
        "Brazil's Supreme Court lifts ban on X after company pays fines",
        "Justice Alexandre de Moraes allowed the social network to resume operations.",
    ),
    (
        "Kenyan court suspends government shutdown of Telegram",
        "The High Court issued conservatory orders pending the hearing of the petition.",
    ),
    (
        "Police raid offices of Telegram-like messenger Zvuk in Moscow",
        "Investigators seized servers and questioned staff over alleged extremist content.",
    ),
    (
        "Prosecutors open investigation into TikTok over child safety",
        "The Paris prosecutor's office said it had opened a preliminary inquiry.",
    ),
    (
        "Texas attorney general sues Roblox over child safety failures",
        "The state alleges the gaming platform misled parents about its protections.",
    ),
    (
        "Grindr hit with lawsuit over sharing users' HIV status",
        "Hundreds of users in London brought the claim in the High Court.",
    ),
    (
        "Judge sets trial date in government's ad tech case against Google",
        "Jury selection will begin in September, the judge said on Friday.",
    ),
    (
        "Supreme Court declines to hear Epic's appeal in Apple dispute",
        "The justices left in place the lower court's ruling on App Store rules.",
    ),
    (
        "Pinterest agrees to settle shareholder suit over workplace discrimination",
        "The image-sharing site will pay to resolve the derivative action.",
    ),
    (
        "FBI seizes domain of BreachForums hacking site",
        "The Justice Department said it had taken control of the site's servers and its Telegram channel.",
    ),
    (
        "Australia's eSafety commissioner takes X to court over stabbing video",
        "The regulator sought an injunction requiring the platform to hide the footage worldwide.",
    ),
    (
        "India orders X to withhold accounts of farmers' protest leaders",
        "The company said it disagreed with the government's blocking orders but would comply.",
    ),
    (
        "Spotify wins dismissal of lawsuit over podcast royalties",
        "A judge in Manhattan ruled the songwriters' claims were barred.",
    ),
    (
        "Uber loses appeal in UK Supreme Court over driver status",
        "The ruling means drivers must be classed as workers.",
    ),
    (
        "Korean regulator fines Kakao over data leak",
        "The Personal Information Protection Commission imposed 15.1 billion won on the messenger operator.",
    ),
    (
        "Dutch data authority fines Clearview AI 30.5 million euros",
        "The facial recognition company built an illegal database, the regulator said.",
    ),
    (
        "Zoom to pay $85 million to settle privacy lawsuit",
        "The video-conferencing company was accused of sharing user data and allowing zoombombing.",
    ),
    (
        "Twitch streamer's lawsuit against Amazon-owned platform dismissed",
        "The court said the service's terms allowed it to suspend accounts.",
    ),
    (
        "Judge blocks Montana's TikTok ban before it takes effect",
        "The preliminary injunction stops the state from enforcing the law.",
    ),
    (
        "Meta must face FTC antitrust trial, judge rules",
        "The judge denied Meta's motion for summary judgment over Instagram and WhatsApp acquisitions.",
    ),
    (
        "Nigeria suspends Twitter indefinitely after president's tweet deleted",
        "The information ministry announced the suspension on Friday.",
    ),
    (
        "Pakistan restores access to X after months-long shutdown",
        "The interior ministry lifted the block following a court hearing.",
    ),
    (
        "Ripple's fight with SEC ends as both sides drop appeals",
        "The crypto company and the regulator agreed to dismiss their appeals.",
    ),
    (
        "Binance founder pleads guilty, exchange to pay $4.3 billion",
        "The world's largest crypto exchange admitted to anti-money laundering violations.",
    ),
    (
        "Etsy sued by sellers over payment reserve policy",
        "The class action says the marketplace withheld funds without explanation.",
    ),
    (
        "Substack receives subpoena from Justice Department over newsletter author",
        "The newsletter platform said it would challenge the demand in court.",
    ),
    (
        "Prosecutor summons Kick executives after death on livestream",
        "The streaming site's managers were ordered to appear for questioning.",
    ),
    (
        "Court orders Cloudflare to stop serving pirate sites",
        "The ruling in Italy requires the network provider to block DNS resolution.",
    ),
    (
        "Government demands Apple build backdoor into iCloud, report says",
        "The Home Office served a technical capability notice under the Investigatory Powers Act.",
    ),
    (
        "Apple withdraws encrypted iCloud feature in UK after government order",
        "The company removed Advanced Data Protection rather than comply with the demand.",
    ),
    (
        "Yandex fined for refusing to share user data with security service",
        "A Moscow court imposed the penalty on the search company.",
    ),
    (
        "Federal judge rules Google search is an illegal monopoly",
        "The decision in the Justice Department's case is the biggest antitrust ruling in decades.",
    ),
    (
        "Tinder owner Match Group sues Google over Play Store billing",
        "The dating app maker filed the complaint in federal court in California.",
    ),
    (
        "Court rejects Tumblr's bid to stay copyright ruling",
        "The appeals panel denied the blogging platform's emergency motion.",
    ),
    (
        "Wikipedia loses challenge to UK online safety rules",
        "The High Court dismissed the Wikimedia Foundation's judicial review.",
    ),
    (
        "Truth Social parent sues Washington Post for defamation",
        "Trump Media & Technology Group sought $3.78 billion in damages.",
    ),
]
NOT_RELEVANT_A = [
    ("Meta unveils new smart glasses at Connect conference", "The company showed off a display in the lens."),
    (
        "Judge sentences man for threatening posts on Facebook",
        "The 34-year-old was jailed for 18 months after posting threats.",
    ),
    (
        "Senators introduce bill to require age verification on social media",
        "The proposal would force platforms to verify users' ages.",
    ),
    ("Google announces Gemini update with longer context", "The model can now read entire books."),
    ("Apple reports record quarterly revenue on iPhone sales", "Services also hit a high."),
    ("Court convicts hacker who stole data from telecom", "The man was sentenced to five years in prison."),
    (
        "Microsoft's transparency report shows rise in law enforcement requests",
        "The company received 25,000 requests in the first half of the year.",
    ),
    ("Telegram adds stories feature for all users", "The messaging app said the update is rolling out now."),
    (
        "Police arrest teenager over swatting calls organised on Discord",
        "Investigators said the suspect coordinated with others.",
    ),
    ("EU lawmakers approve AI Act in final vote", "The rules will apply to general-purpose AI models."),
    ("Amazon workers strike at warehouse in Germany", "The union called for higher pay."),
    ("Coinbase stock jumps as bitcoin rallies", "Shares of the exchange rose 12 percent."),
    ("X rolls out new payments feature in the US", "The company partnered with Visa."),
    ("Parliament debates online safety bill amendments", "Ministers defended the proposals."),
    ("Samsung sued over patent on memory chips", "Netlist filed the complaint in Texas."),
    ("Tesla recalls 2 million cars over Autopilot", "The regulator said the controls were insufficient."),
    (
        "Study finds TikTok algorithm pushes harmful content to teens",
        "Researchers created accounts posing as 13-year-olds.",
    ),
    ("Former Twitter executive joins startup as CEO", "She will lead the company's growth."),
    (
        "Judge dismisses lawsuit between two shipping companies over contract",
        "The court ruled the arbitration clause applied.",
    ),
    (
        "Instagram influencer charged with fraud over fake charity",
        "Prosecutors said she used the app to solicit donations.",
    ),
    ("YouTube removes channel of conspiracy theorist", "The company said the channel violated its policies."),
    ("Reddit IPO values company at $6.4 billion", "Shares opened above the offer price."),
    (
        "Government proposes law to ban phones in schools",
        "The education minister said it would take effect next year.",
    ),
    ("Discord outage hits millions of users", "The chat app said it was investigating."),
    ("Ubisoft faces lawsuit from former employees over harassment", "The suit was filed in a Paris court."),
]
RELEVANT_B = [
    (
        "Judge orders Signal to preserve messages in fraud case",
        "The encrypted messaging app must keep the records while the lawsuit proceeds.",
    ),
    (
        "Kraken settles SEC charges over staking program for $30 million",
        "The crypto exchange agreed to end the service for US customers.",
    ),
    (
        "Slack faces lawsuit over data retention",
        "Employees allege the workplace chat service kept deleted messages.",
    ),
    (
        "Bumble sued by users over facial data",
        "The dating app is accused of violating Illinois' biometric privacy law.",
    ),
    (
        "Spain's competition watchdog fines Booking.com 413 million euros",
        "The CNMC said the travel site abused its dominant position over hotels.",
    ),
    (
        "Mastodon instance taken offline after police seize server",
        "The administrators said they were not told about the warrant.",
    ),
    (
        "Rumble wins dismissal of Brazilian court order",
        "The video site had refused to remove accounts of a commentator.",
    ),
    (
        "Court rules Uber must pay drivers minimum wage in Switzerland",
        "The Federal Supreme Court upheld the cantonal ruling.",
    ),
    (
        "Attorney general subpoenas Snapchat over drug sales to teens",
        "The state wants records on how the app handles dealers.",
    ),
    (
        "DoorDash to pay $17 million to settle tip theft claims",
        "The New York attorney general said the delivery app misled customers.",
    ),
    (
        "Ireland's data regulator fines LinkedIn 310 million euros",
        "The Data Protection Commission found the networking site processed data unlawfully.",
    ),
    (
        "Supreme Court hears arguments in TikTok divestment case",
        "The justices weighed whether the law violates the First Amendment.",
    ),
    (
        "Court upholds Turkey's fine against Google over shopping",
        "The administrative court rejected the search giant's appeal.",
    ),
    (
        "Russia fines Telegram for failing to delete banned content",
        "A Moscow court imposed the penalty on the messenger.",
    ),
    (
        "Epic Games wins jury verdict against Google",
        "The jury found Google's Play Store was an illegal monopoly.",
    ),
    (
        "Zoom accused in lawsuit of misleading users about encryption",
        "The class action was filed in federal court in California.",
    ),
    (
        "French prosecutors place Telegram's founder under formal investigation",
        "Pavel Durov was barred from leaving France.",
    ),
    (
        "FTC sues Amazon alleging illegal monopoly",
        "The agency and 17 states filed the long-awaited antitrust complaint.",
    ),
    (
        "Brazilian judge orders suspension of Rumble",
        "The video platform failed to appoint a legal representative in the country.",
    ),
    (
        "Ola hit with penalty by Indian consumer authority",
        "The ride-hailing company was ordered to refund customers.",
    ),
    (
        "Canada's privacy commissioner takes Facebook to Federal Court",
        "The watchdog wants the court to order changes to the company's practices.",
    ),
    (
        "Proton Mail handed over user's recovery email to Swiss authorities",
        "The encrypted email service complied with a legally binding order.",
    ),
    (
        "Tinder parent Match Group settles FTC case for $14 million",
        "The regulator alleged deceptive advertising and unfair billing.",
    ),
    (
        "Google must face privacy class action over Incognito tracking, judge rules",
        "The judge denied the company's request to dismiss.",
    ),
    (
        "Steam owner Valve sued for $900 million in UK over game prices",
        "The collective action was filed at the Competition Appeal Tribunal.",
    ),
    (
        "Gab ordered to hand over data on Pittsburgh shooter",
        "Federal prosecutors obtained a warrant for the social network's records.",
    ),
    (
        "Police raid offices of crypto exchange Upbit",
        "Prosecutors are investigating alleged market manipulation.",
    ),
    (
        "Perplexity sued by Dow Jones over copying news articles",
        "The AI search startup is accused of massive copyright infringement.",
    ),
    (
        "Indonesia blocks Steam, PayPal and Epic Games over licensing rules",
        "The communications ministry said the companies had not registered.",
    ),
    (
        "Appeals court pauses order forcing Apple to allow app payment links",
        "The Ninth Circuit granted a stay pending appeal.",
    ),
]
# Set C: written after set B's changes and measured before its own: recall 0.733 at the start of the
# session, 0.800 (24 of 30) with sets A and B's changes, 0.933 after adding its classes (missing services
# to the directory; "ordered to pay", damages, "found liable"); false alerts 0 of 20 throughout.
RELEVANT_C = [
    (
        "Pornhub owner Aylo agrees to pay $5 million in FTC and Utah settlement",
        "The adult site operator was accused of hosting abuse material.",
    ),
    (
        "Character.AI must face lawsuit over teen's death, judge rules",
        "The chatbot maker had argued its output was protected speech.",
    ),
    (
        "Anthropic agrees to $1.5 billion settlement with authors",
        "The AI company was sued for using pirated books to train Claude.",
    ),
    (
        "Midjourney sued by Disney and Universal over AI images",
        "The studios say the image generator is a bottomless pit of plagiarism.",
    ),
    (
        "NSO Group ordered to pay WhatsApp $167 million",
        "A jury found the spyware maker liable for hacking 1,400 users.",
    ),
    (
        "Judge rules Meta's use of books to train AI was fair use",
        "Authors including Sarah Silverman had sued the company.",
    ),
    (
        "Roblox sued by Louisiana attorney general",
        "The state says the gaming site failed to protect children from predators.",
    ),
    (
        "Valve faces class action over Steam game prices in UK tribunal",
        "The claim on behalf of 14 million gamers seeks 656 million pounds.",
    ),
    ("Appeals court upholds $140 million verdict against Gawker", "The gossip site must pay Hulk Hogan."),
    (
        "Italy's antitrust authority opens probe into Meta over WhatsApp AI",
        "The regulator said the company may have abused its dominant position.",
    ),
    (
        "Temu fined by EU for breaching Digital Services Act",
        "The Commission said the marketplace failed to assess risks of illegal products.",
    ),
    (
        "Shein to pay 40 million euros over misleading discounts",
        "France's consumer fraud agency imposed the penalty on the online retailer.",
    ),
    (
        "Deliveroo riders lose Supreme Court case over union rights",
        "The court ruled the couriers were not in an employment relationship.",
    ),
    (
        "Airbnb wins appeal over Barcelona rental fines",
        "The court annulled the penalties imposed by the city.",
    ),
    (
        "Bluesky receives court order in Brazil to appoint legal representative",
        "The social network was given five days to comply.",
    ),
    (
        "Kenya suspends Worldcoin over data concerns",
        "The interior ministry halted the crypto project's iris scanning.",
    ),
    (
        "Ofcom opens investigation into 4chan under Online Safety Act",
        "The regulator said the forum failed to respond to a request for information.",
    ),
    (
        "4chan and Kiwi Farms sue Ofcom in US court",
        "The sites say the British regulator's demands violate the First Amendment.",
    ),
    (
        "Wikimedia challenges UK rules in High Court",
        "The foundation says categorisation would force it to verify editors.",
    ),
    (
        "OKX pleads guilty and agrees to pay $505 million",
        "The crypto exchange admitted operating an unlicensed money transmitting business.",
    ),
    (
        "Vinted fined 2.3 million euros by Lithuanian data watchdog",
        "The second-hand clothing marketplace failed to handle deletion requests.",
    ),
    (
        "Naver ordered to pay damages over news algorithm",
        "A Seoul court found the portal manipulated search results.",
    ),
    ("Yahoo settles lawsuit over email scanning for $4 million", "The internet company denied wrongdoing."),
    (
        "Tumblr and WordPress parent Automattic sued by WP Engine",
        "The hosting firm accuses Automattic of extortion.",
    ),
    (
        "Apple and Google face Japan smartphone act compliance order",
        "The Japan Fair Trade Commission issued the first orders under the new law.",
    ),
    (
        "German court bans Amazon's price control mechanism",
        "The Federal Cartel Office found the marketplace limits sellers' pricing.",
    ),
    (
        "Grok ban: Turkey court orders block on Musk's chatbot",
        "The Ankara court ruled after the chatbot insulted the president.",
    ),
    (
        "Indonesia temporarily blocks Grok over sexualised images",
        "The communications ministry said xAI's chatbot violated the law.",
    ),
]
RELEVANT_C_MISSED = [
    (
        "Court blocks Texas law requiring age checks on adult sites",
        "A federal judge granted a preliminary injunction sought by the Free Speech Coalition.",
    ),
    (
        "Tornado Cash developer convicted of money laundering conspiracy",
        "The jury found Roman Storm guilty on one count.",
    ),
]
NOT_RELEVANT_C = [
    ("Anthropic releases new Claude model", "The company says it is better at coding."),
    ("Roblox reports surge in daily users", "The gaming platform now has 100 million daily players."),
    ("Temu ads dominate Super Bowl broadcast", "The online marketplace bought several spots."),
    ("Court jails woman who ran fake charity on TikTok", "She was sentenced to three years."),
    (
        "Senate committee advances kids online safety bill",
        "The measure would require platforms to limit features for minors.",
    ),
    ("Judge rules in favour of city in zoning dispute", "The developer must redesign the tower."),
    ("Airbnb hosts prepare for World Cup demand", "Bookings have doubled in host cities."),
    ("OpenAI's Altman testifies before Senate on AI safety", "He called for a licensing regime."),
    ("Bluesky passes 30 million users", "The social network grew after the election."),
    ("Deliveroo agrees takeover by DoorDash", "Shareholders approved the deal."),
    ("Steam summer sale starts with record discounts", "Valve said the event runs two weeks."),
    ("Police investigate stabbing outside nightclub", "Two men were arrested."),
    ("Character.AI launches parental controls", "Parents can see how long teens spend on the app."),
    (
        "Wikipedia editors vote on AI-generated content policy",
        "The community rejected machine-written articles.",
    ),
    (
        "EU Commission publishes guidelines on protecting minors online",
        "The guidance applies under the Digital Services Act.",
    ),
    ("Shein considers London listing", "The retailer may file this year."),
    ("Yahoo sells TechCrunch to private equity", "Terms were not disclosed."),
    ("Worldcoin expands iris scanning to new countries", "The project opened sites in Asia."),
    ("Musk says Grok will get new features", "The chatbot will be able to generate video."),
    ("Naver launches AI search in Korea", "The portal aims to compete with Google."),
]
# Set D: legal steps and stages (probe, raid, fine, lifted ban, refused stay, seizure, trial date,
# settlement, withdrawal, dismissal), written after set C's changes and measured before its own: recall
# 0.933 (28 of 30; the one left out below is an internet provider, not a platform), stage as labelled
# 22 of 28, false alerts 2 of 10 (people arrested or sentenced, a platform only where they acted). Then
# "ordered to hand over data" stopped reading as compliance, "wins dismissal" became a dismissal, and
# verbs in the present ("sentences man", "arrest gang") count as a person accused: recall 0.967, stage
# 24 of 29, false alerts 1 of 10 (kept as a strict xfail).
RELEVANT_D = [
    (
        "EU regulators open formal probe into X over election disinformation",
        "The Commission said it suspects the platform breached the Digital Services Act.",
    ),
    (
        "Spanish police raid Glovo offices in labour investigation",
        "Inspectors seized documents at the delivery app's Barcelona headquarters.",
    ),
    (
        "South Korea fines Google $177 million for blocking rival app stores",
        "The Fair Trade Commission said the company abused its market dominance.",
    ),
    (
        "Nepal lifts ban on TikTok after nine months",
        "The government said the company agreed to register and follow local rules.",
    ),
    (
        "Appeals court refuses to stay order requiring Apple to open App Store",
        "Apple must comply while it appeals, the panel said.",
    ),
    (
        "FBI seizes servers of encrypted phone network Ghost",
        "Police in nine countries arrested dozens of suspected users.",
    ),
    (
        "Trial date set in FTC case against Amazon over Prime sign-ups",
        "The trial will begin in February before a federal judge in Seattle.",
    ),
    (
        "Judge dismisses shareholder lawsuit against Snap",
        "The court found investors failed to show the company misled them.",
    ),
    (
        "X wins appeal against Australian regulator over takedown notice",
        "The tribunal set aside the eSafety Commissioner's notice.",
    ),
    (
        "Meta settles Texas facial recognition suit for $1.4 billion",
        "The state had accused the company of capturing biometric data without consent.",
    ),
    (
        "Prosecutors drop case against Telegram's local representative",
        "The charges were withdrawn for lack of evidence.",
    ),
    (
        "Federal government withdraws subpoena for Reddit user data",
        "The Justice Department told the court it no longer sought the records.",
    ),
    ("Google appeals record EU antitrust fine", "The company asked the General Court to annul the decision."),
    (
        "Court grants injunction blocking Arkansas social media law",
        "NetChoice had sued on behalf of platforms including Meta and TikTok.",
    ),
    (
        "Apple complies with court order to unlock phone in drug case",
        "The company extracted data for investigators after a judge's order.",
    ),
    ("TikTok sues Montana to block state ban", "The company says the law violates the First Amendment."),
    (
        "Turkey's competition board fines Meta over data sharing between Facebook and WhatsApp",
        "The authority imposed a daily penalty.",
    ),
    (
        "Brazil court orders Apple to allow alternative app payments",
        "The ruling gives the company 90 days to comply.",
    ),
    (
        "Ninth Circuit upholds ruling against Uber in California drivers case",
        "The appeals court affirmed the lower court's decision.",
    ),
    (
        "Indian court summons Wikipedia over defamation complaint",
        "The High Court ordered the foundation's representatives to appear.",
    ),
    (
        "Government orders Telegram to hand over data on protest channels",
        "The ministry gave the messenger ten days.",
    ),
    (
        "LinkedIn agrees to pay $6.6 million to settle pay discrimination claims",
        "The Labor Department said women were paid less.",
    ),
    (
        "Reddit wins dismissal of Section 230 suit over extremist posts",
        "The judge said the forum could not be held liable for users' content.",
    ),
    ("Court upholds Russia's block on Instagram", "The Moscow court rejected Meta's challenge."),
    (
        "Coinbase settles SEC lawsuit as agency drops crypto cases",
        "The regulator agreed to dismiss the case with prejudice.",
    ),
    (
        "Amazon hit with antitrust lawsuit by District of Columbia",
        "The attorney general says the retailer inflates prices.",
    ),
    (
        "Zoom ordered to hand over meeting records in harassment case",
        "A judge granted the plaintiff's motion to compel.",
    ),
    ("Twitch settles lawsuit with streamer over ban", "Terms were not disclosed."),
    (
        "Tinder fined in Norway for sharing users' data",
        "The Data Protection Authority imposed a penalty on the dating app's owner.",
    ),
]
NOT_RELEVANT_D = [
    ("Glovo expands to new cities in Spain", "The delivery app now covers 50 cities."),
    ("Court sentences man who threatened judge on X", "He was jailed for two years."),
    ("EU proposes new rules for AI chatbots", "The draft would require labelling of generated content."),
    ("Snap launches new AR glasses", "The company showed them at its partner summit."),
    ("Google wins praise for new privacy tools", "Advocates said the changes were welcome."),
    ("Reddit moderators protest API changes", "Thousands of forums went dark."),
    ("Parliament passes law on data protection", "The act takes effect next year."),
    ("TikTok creators fund reaches $1 billion", "The company said payouts would grow."),
    ("Apple's App Store revenue rises 12 percent", "Games drove most of the growth."),
]
NOT_RELEVANT_B = [
    (
        "Signal president warns against EU chat control proposal",
        "Meredith Whittaker said the app would leave rather than comply.",
    ),
    ("Kraken launches new trading app", "The exchange said it would expand to Europe."),
    ("Zoom earnings beat expectations", "The video company raised its annual forecast."),
    ("Court jails man who used Telegram to sell drugs", "The 28-year-old was sentenced to six years."),
    ("Uber drivers protest outside parliament", "They called for better pay and conditions."),
    ("Snap shares fall after weak forecast", "The company blamed the advertising market."),
    ("Bill would ban TikTok on state devices, sponsor says", "The measure heads to committee next week."),
    (
        "Judge rules in dispute between two landlords over parking",
        "The court sided with the tenant association.",
    ),
    ("Google opens new data center in Finland", "The facility will run on renewable energy."),
    ("Rumble signs deal with streaming partner", "The video site will host the shows exclusively."),
    ("Lawmakers grill TikTok CEO at hearing", "Senators questioned him about ties to China."),
    ("Regulators approve merger of two banks", "The deal creates the country's fourth-largest lender."),
    ("Slack rolls out AI summaries for all plans", "The feature was previously for enterprise customers."),
    ("Police warn of scam messages on WhatsApp", "Fraudsters impersonate relatives asking for money."),
    ("Discord launches new voice features", "Users can now share their screens on mobile."),
    ("Bumble CEO steps down", "Whitney Wolfe Herd will return as chief executive."),
    (
        "Government launches consultation on online safety codes",
        "The regulator will publish guidance next year.",
    ),
    ("Booking.com reports record summer travel", "Room nights rose 8 percent."),
]


@pytest.mark.parametrize(("title", "summary"), RELEVANT_A + RELEVANT_B + RELEVANT_C + RELEVANT_D)
def test_a_report_of_a_platform_dispute_is_relevant(title: str, summary: str) -> None:
    det = detect(ArticleText(title, summary))
    assert det.relevant, det.reasons


@pytest.mark.parametrize(
    ("title", "summary"), NOT_RELEVANT_A + NOT_RELEVANT_B + NOT_RELEVANT_C + NOT_RELEVANT_D
)
def test_other_news_is_not(title: str, summary: str) -> None:
    det = detect(ArticleText(title, summary))
    assert not det.relevant, det.reasons


@pytest.mark.xfail(
    strict=True, reason="known gaps: no platform named (only 'adult sites'); a developer convicted"
)
@pytest.mark.parametrize(("title", "summary"), RELEVANT_C_MISSED)
def test_known_misses_of_set_c(title: str, summary: str) -> None:
    assert detect(ArticleText(title, summary)).relevant


@pytest.mark.xfail(strict=True, reason="known gap: a platform's own review board reads as a court")
def test_a_platform_board_overturning_a_removal_is_not_a_legal_dispute() -> None:
    det = detect(
        ArticleText(
            "Meta's Oversight Board overturns removal of post",
            "The board said the content did not break the rules on hate speech.",
        )
    )
    assert not det.relevant


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Court orders Signal to preserve messages.", "Signal"),
        ("Prosecutor summons Kick executives after the stream.", "Kick"),
        ("Zoom to pay $85 million to settle privacy claims.", "Zoom"),
        ("Regulators said Proton must log the address, the court ruled.", "Proton"),
        ("Nintendo Subpoenas Discord To Identify Leaker", "Discord"),
    ],
)
def test_an_ordinary_word_name_counts_on_a_side_of_the_action(text: str, name: str) -> None:
    assert name in [m.platform for m in context.find(text) if m.form == "party position"]


@pytest.mark.parametrize(
    "text",
    [
        "Judge orders Line 5 pipeline shut down.",  # a number after it: another name
        "Police block Signal Hill road after the court ruling.",  # a capitalised word after it
        "The court heard that Zoom calls were recorded.",  # named, but on no side of the action
        "Fans sued over the Kick Off event.",
    ],
)
def test_an_ordinary_word_name_is_not_taken_without_a_party_position(text: str) -> None:
    assert [m for m in context.find(text) if m.form == "party position"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Amazon Alexa recordings and Alexa logs were sought by the court.",
        "Zoom, Zoom Video Communications and Kick.com were sued; Signal was not.",
        "No ambiguous name here, only a lawsuit.",
    ],
)
def test_the_head_indexed_scan_finds_what_the_single_regex_finds(text: str) -> None:
    single = context.alias_regex(context._AMBIGUOUS)
    expected = [(m.span(), m.group(0)) for m in single.finditer(text)]
    assert [(m.span(), m.group(0)) for m in context._ambiguous_matches(text)] == expected


@pytest.mark.xfail(
    strict=True,
    reason="known gap: a gang arrested for using the app, with items seized, outweighs the counter",
)
def test_a_gang_arrested_for_using_an_app_is_not_a_platform_dispute() -> None:
    assert not detect(
        ArticleText("Police arrest gang that used WhatsApp to sell drugs", "Officers seized phones and cash.")
    ).relevant


@pytest.mark.parametrize(
    ("title", "summary", "stage"),
    [
        (
            "Government orders Telegram to hand over data on protest channels",
            "The ministry gave it ten days.",
            Stage.DEMAND,
        ),
        (
            "Telegram hands over user data to prosecutors",
            "The messenger complied with the court's order.",
            Stage.COMPLIED,
        ),
        (
            "Reddit wins dismissal of a suit over extremist posts",
            "The judge said the forum was not liable.",
            Stage.DISMISSED,
        ),
        (
            "Trump appeals dismissal of his suit against Twitter",
            "The Ninth Circuit will hear it.",
            Stage.APPEAL,
        ),
    ],
)
def test_stage_of_an_order_to_hand_over_and_of_a_dismissal(title: str, summary: str, stage: Stage) -> None:
    det = detect(ArticleText(title, summary))
    assert det.relevant and det.stage == stage, (det.stage, det.reasons)


def test_a_platform_that_must_hand_over_records_has_not_complied() -> None:
    det = detect(
        ArticleText("Regulator says the app must hand over records by Friday", "Telegram has not replied.")
    )
    assert det.relevant and det.stage != Stage.COMPLIED, det.reasons
