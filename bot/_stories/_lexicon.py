"""Word lists for story recognition: aliases, bilingual news vocabulary, stop words.

Everything here is folded like :func:`bot._normalize.normalize` folds text
(lower case, no accents, apostrophes and hyphens split words), except the
forms written in capitals: those are acronyms that only count when written
in capitals ("US" is the country, "us" a pronoun; "EU" the Union, "eu" a
French verb), with an optional plural "s" ("GPUs").

- :data:`ALIASES`: one key per entity whatever the language or spelling
  ("Union européenne", "EU", "UE", "Bruxelles" → ``eu``), demonyms included
  ("chinois", "Chinese" → ``china``), and a few companies with their stock
  tickers ("$TSLA", "Nasdaq: AAPL").
- :data:`CONCEPTS`: a compact French ↔ English news vocabulary ("achète",
  "acquiert", "buys" → ``buy``; "amende", "fine" → ``fine``).
- :data:`EVENTS`: the concepts that say what happened; a headline's event
  missing from the other text is evidence of another story (a fine vs its
  appeal, a rate hike vs a hold).
"""

from __future__ import annotations

from collections.abc import Iterator

from .._normalize import normalize

__all__ = [
    "ALIASES", "CALENDAR", "COMMON", "CONCEPTS", "DEMONYMS", "EVENTS", "FOLLOW_UPS", "PLACES",
    "STOP", "Phrase", "phrases",
]

#: A form as a tuple of words, and whether it only counts written in capitals.
Phrase = tuple[tuple[str, ...], bool]


def _table(text: str) -> dict[str, tuple[str, ...]]:
    """Parse ``key: form, form, …`` lines (a line may continue on the next).

    A "|" may separate nouns from the adjectives ("france | french, français"):
    both are forms; the adjectives are also listed in :data:`DEMONYMS`.
    """
    table: dict[str, tuple[str, ...]] = {}
    key = ""
    for line in text.strip().splitlines():
        head, sep, rest = line.partition(":")
        if sep and head.strip() and " " not in head.strip():
            key = head.strip()
        else:
            rest = line
        nouns, bar, adjectives = rest.partition("|")
        forms = tuple(f.strip() for f in nouns.replace("|", ",").split(",") if f.strip())
        adjective_forms = tuple(f.strip() for f in adjectives.split(",") if f.strip())
        if bar:
            _DEMONYMS.update(normalize(f) for f in adjective_forms)
        table[key] = table.get(key, ()) + forms + adjective_forms
    return table


_DEMONYMS: set[str] = set()


def phrases(table: dict[str, tuple[str, ...]]) -> Iterator[tuple[Phrase, str]]:
    """Every form of a table as a phrase, with its key."""
    for key, forms in table.items():
        for form in forms:
            if form != form.lower():  # an acronym: raw words, capitals required
                words = tuple(form.replace(".", " ").split())
                yield (words, True), key
                yield ((*words[:-1], words[-1] + "s"), True), key
            else:
                yield (tuple(normalize(form).split()), False), key


ALIASES = _table("""
eu: EU, UE, european union, union europeenne, europe, brussels, bruxelles, european commission,
    commission europeenne | european, europeen, europeenne, europeens, europeennes
ecb: ECB, BCE, european central bank, banque centrale europeenne
fed: Fed, federal reserve, reserve federale, us federal reserve
un: UN, ONU, united nations, nations unies
nato: NATO, OTAN
who: WHO, OMS, world health organization, organisation mondiale de la sante
imf: IMF, FMI, international monetary fund, fonds monetaire international
gdpr: GDPR, RGPD
white-house: white house, maison blanche
us: US, U.S., USA, U.S.A., united states, etats unis, america | american, americans,
    americain, americaine, americains, americaines
uk: UK, U.K., united kingdom, britain, great britain, royaume uni, grande bretagne | british,
    britannique, britanniques
france: france | french, francais, francaise, francaises
germany: germany, allemagne | german, allemand, allemande, allemands, allemandes
china: china, chine | chinese, chinois, chinoise, chinoises
japan: japan, japon | japanese, japonais, japonaise, japonaises
india: india, inde | indian, indien, indienne, indiens, indiennes
ireland: ireland, irlande | irish, irlandais, irlandaise, irlandaises
south-korea: south korea, coree du sud | south korean, sud coreen, sud coreenne, sud coreens
north-korea: north korea, coree du nord | north korean, nord coreen, nord coreenne
taiwan: taiwan | taiwanese, taiwanais, taiwanaise
russia: russia, russie | russian, russe, russes
ukraine: ukraine | ukrainian, ukrainien, ukrainienne, ukrainiens
italy: italy, italie | italian, italien, italienne, italiens
spain: spain, espagne | spanish, espagnol, espagnole, espagnols
israel: israel | israeli, israelien, israelienne, israeliens
iran: iran | iranian, iranien, iranienne, iraniens
canada: canada | canadian, canadien, canadienne, canadiens
mexico: mexico, mexique | mexican, mexicain, mexicaine
brazil: brazil, bresil | brazilian, bresilien, bresilienne
australia: australia, australie | australian, australien, australienne
netherlands: netherlands, pays bas | dutch, neerlandais, neerlandaise
belgium: belgium, belgique | belgian, belge, belges
switzerland: switzerland, suisse | swiss, suisses
poland: poland, pologne | polish, polonais, polonaise
turkey: turkiye, turquie | turkish, turc, turque
egypt: egypt, egypte | egyptian, egyptien, egyptienne
saudi-arabia: saudi arabia, arabie saoudite | saudi, saoudien, saoudienne
south-africa: south africa, afrique du sud | south african, sud africain, sud africaine
greece: greece, grece | greek, grec, grecque
sweden: sweden, suede | swedish, suedois, suedoise
norway: norway, norvege | norwegian, norvegien, norvegienne
denmark: denmark, danemark | danish, danois, danoise
finland: finland, finlande | finnish, finlandais, finlandaise
austria: austria, autriche | austrian, autrichien, autrichienne
portugal: portugal | portuguese, portugais, portugaise
argentina: argentina, argentine | argentin, argentinian
morocco: morocco, maroc | moroccan, marocain, marocaine
algeria: algeria, algerie | algerian, algerien, algerienne
tunisia: tunisia, tunisie | tunisian, tunisien, tunisienne
syria: syria, syrie | syrian, syrien, syrienne
lebanon: lebanon, liban | lebanese, libanais, libanaise
iraq: iraq, irak | iraqi, irakien, irakienne
palestine: palestine | palestinian, palestinians, palestinien, palestinienne, palestiniens
west-bank: west bank, cisjordanie
philippines: philippines | filipino, philippin, philippine
indonesia: indonesia, indonesie | indonesian, indonesien, indonesienne
vietnam: vietnam, viet nam | vietnamese, vietnamien, vietnamienne
thailand: thailand, thailande | thai, thailandais, thailandaise
greenland: greenland, groenland
new-zealand: new zealand, nouvelle zelande | neo zelandais
scotland: scotland, ecosse | scottish, ecossais, ecossaise
hungary: hungary, hongrie | hungarian, hongrois, hongroise
pakistan: pakistan | pakistani, pakistanais, pakistanaise
afghanistan: afghanistan | afghan, afghane
bangladesh: bangladesh | bangladeshi, bangladais
qatar: qatar | qatari, qatarie
uae: UAE, united arab emirates, emirats arabes unis | emirati
yemen: yemen | yemeni, yemenite
jordan: jordan, jordanie | jordanian, jordanien, jordanienne
libya: libya, libye | libyan, libyen, libyenne
sudan: sudan, soudan | sudanese, soudanais
nigeria: nigeria | nigerian, nigerian, nigeriane
kenya: kenya | kenyan, kenyan, kenyane
ethiopia: ethiopia, ethiopie | ethiopian, ethiopien, ethiopienne
senegal: senegal | senegalese, senegalais, senegalaise
peru: peru, perou | peruvian, peruvien, peruvienne
chile: chile, chili | chilean, chilien, chilienne
colombia: colombia, colombie | colombian, colombien, colombienne
venezuela: venezuela | venezuelan, venezuelien, venezuelienne
cuba: cuba | cuban, cubain, cubaine
haiti: haiti | haitian, haitien, haitienne
serbia: serbia, serbie | serbian, serbe
romania: romania, roumanie | romanian, roumain, roumaine
czechia: czechia, czech republic, tchequie, republique tcheque | czech, tcheque
belarus: belarus, bielorussie | belarusian, bielorusse
georgia: georgia, georgie | georgian, georgien, georgienne
armenia: armenia, armenie | armenian, armenien, armenienne
myanmar: myanmar, birmanie, burma | burmese, birman, birmane
malaysia: malaysia, malaisie | malaysian, malaisien, malaisienne
singapore: singapore, singapour | singaporean, singapourien
hong-kong: hong kong
gaza: gaza, gaza strip, bande de gaza
apple: apple, AAPL, apple inc
microsoft: microsoft, MSFT
google: google, alphabet, GOOGL, GOOG
amazon: amazon, amazon com, AMZN
meta: meta, meta platforms, META
tesla: tesla, TSLA
nvidia: nvidia, NVDA
intel: intel, INTC
netflix: netflix, NFLX
oracle: oracle, ORCL
tsmc: TSMC, TSM, taiwan semiconductor, taiwan semiconductor manufacturing
""")


CONCEPTS = _table("""
buy: buy, buys, bought, buying, acquire, acquires, acquired, acquiring, acquisition,
    acquisitions, purchase, purchases, purchased, purchasing, takeover, takeovers, achete,
    achetee, achetes, achetees, acheter, achat, achats, acquiert, acquierent, acquis, acquise,
    acquerir, rachete, rachetee, racheter, rachat, rachats, s offre, s est offert, snapped up
sell: sell, sells, sold, selling, vend, vendu, vendue, vendre, cede, cession, divest, divests
fine: fine, fines, fined, penalty, penalties, amende, amendes, sanction, sanctions,
    sanctionne, sanctionnee, inflige, infligee, infliger
appeal: appeal, appeals, appealed, appealing, challenge in court, faire appel, fait appel,
    fera appel, contester, contestera, contesterait, conteste
settle: settle, settles, settled, settlement, transige, accord amiable, a l amiable
deny: deny, denies, denied, dement, dementi, dementent
recall: recall, recalls, recalled, recalling, rappel, rappels, rappelle, rappellent, rappeler
order: order, orders, ordered, commande, commandes, commandee, commander
launch: launch, launches, launched, unveil, unveils, unveiled, reveal, reveals, revealed,
    introduce, introduces, introduced, debut, debuts, lance, lancent, lancer, lancement,
    devoile, devoilent, devoiler, presente, presentent, presenter
increase: raise, raises, raised, raising, lift, lifts, lifted, hike, hikes, hiked, increase,
    increases, increased, rise, rises, rose, risen, jump, jumps, jumped, soar, soars, soared,
    surge, surges, surged, climb, climbs, climbed, triple, triples, tripled, double, doubles,
    doubled, releve, relevent, relever, augmente, augmentent, augmentation, hausse, hausses,
    grimpe, grimpent, bondit, progresse, progressent, leve, lever, triple, double
decrease: cut, cuts, slash, slashes, slashed, reduce, reduces, reduced, fall, falls, fell,
    drop, drops, dropped, plunge, plunges, plunged, slump, slumps, slumped, decline, declines,
    declined, tumble, tumbles, tumbled, baisse, baisses, abaisse, chute, chutent, recule,
    reculent, plonge, plongent, diminue, reduit, reduire, supprimer, supprime, suppression,
    suppressions
hold: hold, holds, holding, held, unchanged, keeps, kept, pause, pauses, paused, maintient,
    maintiennent, maintenu, maintenir, inchange, inchanges, inchangee, laisse inchange,
    left unchanged
complete: complete, completes, completed, close, closes, closed, closing, finalise,
    finalises, finalised, finalize, finalizes, finalized, finalisee, boucle
layoff: layoff, layoffs, job cuts, licenciement, licenciements, plan social
strike: strike, on strike, walkout, walkouts, walk out, greve, greves, mouvement social
sue: sue, sues, sued, lawsuit, lawsuits, poursuit, poursuivent, plainte, proces
ban: ban, bans, banned, interdit, interdiction, interdire
probe: probe, probes, investigation, investigations, inquiry, enquete, enquetes
death: die, dies, died, dead, death, deaths, killed, kills, mort, morts, meurt, deces, tue,
    tues
quake: earthquake, earthquakes, quake, quakes, seisme, seismes, tremblement de terre,
    tremblements de terre
rebrand: rebrand, rebrands, rebranding, rebranded, rename, renames, renamed, rebaptise,
    rebaptisee, rebaptiser, renomme, renommee
resign: resign, resigns, resigned, resignation, demission, demissionne, steps down, step down
oust: oust, ousts, ousted, fire, fires, fired, sack, sacks, sacked, dismiss, dismisses,
    dismissed, limoge, limogee, renvoie, renvoye, evince, evincee
return: return, returns, returned, reinstated, reinstates, comeback, revient, retour, reintegre
heatwave: heatwave, heat wave, canicule, vague de chaleur
arrest: arrest, arrests, arrested, arrete, arretes, interpelle
funding: funding, funding round, levee de fonds, levees de fonds, tour de table
results: earnings, results, resultats
profit: profit, profits, net income, benefice, benefices
loss: loss, losses, perte, pertes, deficit
revenue: revenue, revenues, sales, chiffre d affaires, ventes
quarter: quarter, quarters, quarterly, trimestre, trimestres, trimestriel, trimestrielle,
    trimestriels
ai: AI, IA, artificial intelligence, intelligence artificielle
generative: generative, generatif, generatifs, generatives
gpu: GPU, gpu, gpus, graphics processing unit, graphics processing units, graphics card,
    graphics cards, processeur graphique, processeurs graphiques, carte graphique,
    cartes graphiques
chip: chip, chips, chipmaker, chipmakers, semiconductor, semiconductors, puce, puces,
    semi conducteur, semi conducteurs, semiconducteur, semiconducteurs, fabricant de puces
memory: memory, memories, memoire, memoires
llm: LLM, language model, language models, modele de langage, modeles de langage
model: model, models, modele, modeles
vehicle: vehicle, vehicles, car, cars, voiture, voitures, vehicule, vehicules, automobile,
    automobiles
plane: plane, planes, jet, jets, aircraft, avion, avions, appareil, appareils, airliner,
    airliners
airline: airline, airlines, carrier, compagnie, compagnie aerienne, compagnies aeriennes
deal: deal, deals, agreement, agreements, accord, accords, contract, contrat, contrats
rate: rate, rates, taux, deposit rate, taux de depot, taux directeur, taux directeurs
interest: interest, interet, interets
price: price, prices, prix, tarif, tarifs
shares: shares, stock, stocks, action, actions, bourse
employee: employee, employees, staff, workforce, salarie, salaries, employes, effectifs
job: job, jobs, emploi, emplois, poste, postes
startup: startup, startups, start up, start ups, jeune pousse
investor: investor, investors, investisseur, investisseurs
valuation: valuation, valued, valuing, valorise, valorisation, valorisee, worth, vaut
regulator: regulator, regulators, regulateur, regulateurs, authority, autorite, watchdog
privacy: privacy, data protection, vie privee, protection des donnees
data: data, donnees
user: user, users, utilisateur, utilisateurs
competition: competition, antitrust, concurrence, competition law
music: music, musique, musical, musicale, musicaux
smartphone: smartphone, smartphones, phone, phones, telephone, telephones
software: software, logiciel, logiciels, logicielle
update: update, updates, mise a jour, mises a jour, OTA, over the air
bug: bug, bugs, glitch, glitches, defect, defects, defaut, defauts, flaw, flaws
camera: camera, cameras
rear: rear, rearview, recul
safety: safety, security, securite
train: train, trains, rail, railway, railways, ferroviaire, high speed trains
inspector: inspector, inspectors, ticket inspectors, controleur, controleurs
cancel: cancel, cancels, cancelled, canceled, annule, annules, annulee, annulees, annuler,
    annulation
holiday: holiday, holidays, vacances
develop: develop, develops, developing, development, developpement, developper
training: training, entrainer, entrainement
research: research, recherche
cost: cost, costs, cout, couts, spend, spent, spending, depense, depenses, depense
ceo: CEO, chief executive, patron, PDG, directeur general, boss
pm: PM, prime minister, premier ministre, premiere ministre
president: president, presidente, presidential, presidentielle
minister: minister, ministre, secretary of state, secretaire d etat
largest: biggest, largest, plus important, plus importante, plus grande, plus gros
powerful: powerful, puissant, puissante, plus puissant, strongest, plus fort
coast: coast, coastal, cote
peninsula: peninsula, peninsule
warning: warning, warnings, alert, alerts, alerte, alertes
building: buildings, batiment, batiments, immeubles
history: history, historic, historique, histoire
project: project, projects, projet, projets
letter: letter, lettre
usd: dollar, dollars
eur: euro, euros
million: million, millions
billion: billion, billions, milliard, milliards
thousand: thousand, thousands, millier, milliers
tens: tens, dozens, dizaines, dizaine
year: year, years, ans, annee, annees
d1: monday, lundi
d2: tuesday, mardi
d3: wednesday, mercredi
d4: thursday, jeudi
d5: friday, vendredi
d6: saturday, samedi
d7: sunday, dimanche
""")

#: Alias keys that are places: the setting of many stories, never an anchor of one.
_NOT_PLACES = frozenset("""
eu ecb fed un nato who imf gdpr white-house apple microsoft google amazon meta tesla nvidia
intel netflix oracle tsmc
""".split())  # noqa: SIM905
PLACES = frozenset(key for key in ALIASES if key not in _NOT_PLACES)

#: Alias forms that are adjectives ("French", "chinois"): weaker evidence than a name.
DEMONYMS = frozenset(_DEMONYMS)

#: Concepts that say what happened.
EVENTS = frozenset("""
buy sell fine appeal settle deny recall order launch hold complete layoff strike sue ban probe
death quake rebrand resign oust return arrest funding
""".split())  # noqa: SIM905

#: Events that follow an earlier story (a fine, then its appeal): one headline
#: naming it and the other not are two stories, even when the first mentions it.
FOLLOW_UPS = frozenset({"appeal", "settle", "deny", "resign", "return"})

#: Weekdays and months: capitalised in English, never names.
CALENDAR = frozenset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december lundi mardi mercredi jeudi vendredi samedi
dimanche janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
""".split())  # noqa: SIM905

#: Function words of both languages: never a name, never evidence.
STOP = frozenset("""
a an and are as at be been by for from has have had in is it its of on or that the this to was
were will would with after over into new says said say how why what who whom which when where
than then there their they them he she his her we you i our your not no but also could should
can may might more most about up out off just amid over under via per its it s t d l qu
reportedly report reports reported according insiders familiar matter source sources told
le la les des du de et est un une pour dans que qui sur se sa son ses sont ou mais ne n c y
vers selon apres face au aux avec ce ces cette cet il ils elle elles leur leurs lui nous vous
on en par pas plus tres aussi deja alors dont meme ete etait fait faire avoir etre entre sans
comme chez aurait auraient serait seraient rapporte rapportent d apres quelques plusieurs tout
tous toute toutes autre autres sous depuis pendant lors avant encore ainsi donc car si
""".split())  # noqa: SIM905

#: Headline words that title case capitalises but that are not names.
COMMON = frozenset("""
about across after again against ahead all almost along already amid another any around away
back bad be because become becomes before behind being best better between big bigger billion
biggest both breaking bring brings but call calls came can case change chief claims come comes
could crisis day days deal despite did does doing done down during each early end ends even
ever every face faces fast faster first five for four free from full get gets give gives go
goes going good got great growing had has have help helps her here high higher highest his
home hot how huge hit hits if in inside into is issue issued issues it its just keep key last
late latest launch lead leads least less life like live long look looks lose loses lost low
made major make makes many may meet meets might million more most move moves much must near
nearly need needs never new news next night no not now off official officially old on once
one only open opens or other our out over own part past people plan plans power push pushes
put puts quick read real record report reports rest return returns review rules run runs
said save says second see sees set sets seven shows shut sign signs since six small so some
soon start starts still stop stops strikes take takes talk talks team tech than that the
their them then there these they thing things think third this those three through time
times to today top tops track under until up us use uses very via wait want wants war warns
was watch way ways we week weeks were what when where which while who why will win wins with
without world worst would year years yet you your beats estimates risks risk ready readies
vows vow slams slam urges urge sees eyes targets target backs back blocks block boost boosts
delays delay halts halt confirms confirm denies deny rejects reject approves approve agrees
agree joins join leaves leave expands expand returns adds add finds find shows show opens
powerful officially own most world's everything app apps around rumor rumors exclusive
analysis opinion explainer update updates live breaking watch video photos podcast
""".split())  # noqa: SIM905
