"""The demo's scenes: each built-in workflow's relationships, played at their stages over nine months."""

from __future__ import annotations

from mentorflow.demo.play import COORDINATOR, Demo, Rel, score
from mentorflow.demo.samples import PROFILES, sample
from mentorflow.identifiers import Actor

__all__ = ["dyads", "early_dyads", "facilitated", "groups", "micro", "peers"]


def _dyad_prepare(rel: Rel, ago: int) -> None:
    """The mentee completes the plan and opens negotiation the next day."""
    rel.submit(ago, "idp", rel.idp(ago, reviewed=False), rel.first("mentee"))
    rel.fire(ago - 1, "negotiate", rel.first("mentee"))


def _dyad_launch(rel: Rel, ago: int) -> None:
    """The mentor drafts the agreement, the plan is revised after review, both sign both, and meetings begin."""
    mentor, mentee = rel.first("mentor"), rel.first("mentee")
    rel.submit(ago, "agreement", rel.agreement(ago), mentor)
    rel.submit(ago - 1, "idp", rel.idp(ago - 1), mentee)
    rel.sign(ago - 2, "idp", mentee, mentor)
    rel.sign(ago - 2, "agreement", mentor, mentee)
    rel.fire(ago - 2, "launch", mentor)


def _dyad_deepen(rel: Rel, ago: int) -> None:
    rel.submit(ago, "reflection", sample("reflection", rel.day(ago)), rel.first("mentee"))
    rel.fire(ago - 1, "deepen", rel.first("mentee"))


def _dyad_conclude(rel: Rel, ago: int) -> None:
    mentor, mentee = rel.first("mentor"), rel.first("mentee")
    rel.submit(ago, "progress_report", rel.progress_report(ago), mentee)
    rel.sign(ago - 1, "progress_report", mentor, mentee)
    rel.submit(ago - 2, "network_map", rel.network_map(ago - 2), mentee)
    rel.fire(ago - 3, "conclude", mentor)


def _dyad(demo: Demo, ago: int, rel_id: str, mentor: str, mentee: str, profile: int) -> Rel:
    roles = {"mentor": [mentor], "mentee": [mentee]}
    return demo.start(ago, rel_id, "traditional-dyad", roles, "fall-2026", profile=profile)


def dyads(demo: Demo) -> None:
    """Dyads that ran their course, ended early, or are deep into it."""
    done = _dyad(demo, 268, "dyad-silva", "dr.okafor", "ana.silva", 0)
    done.submit(265, "idp", done.idp(265, reviewed=False, drop=["objectives"]), "ana.silva")  # a first draft
    done.submit(258, "idp", done.idp(258, reviewed=False), "ana.silva")
    done.sign(258, "idp", "ana.silva")  # voided two steps later by the revision with the mentor's review
    done.fire(257, "negotiate", "ana.silva")
    _dyad_launch(done, 250)
    done.meet(240, 222, 205)
    _dyad_deepen(done, 200)
    done.meet(185, 165, 140, 118, 95)
    _dyad_conclude(done, 92)
    done.submit(80, "evaluation", done.evaluation("mentor", "dr.okafor", 80), "dr.okafor")
    done.submit(78, "evaluation", done.evaluation("mentee", "ana.silva", 78), "ana.silva")
    done.fire(78, "complete", "ana.silva")

    closing = _dyad(demo, 262, "dyad-chen", "prof.martinez", "wei.chen", 1)  # one evaluation of two, overdue
    _dyad_prepare(closing, 255)
    _dyad_launch(closing, 245)
    closing.meet(235, 215, 196)
    _dyad_deepen(closing, 190)
    closing.meet(170, 150, 128, 105, 82, 60)
    _dyad_conclude(closing, 33)
    closing.submit(25, "evaluation", closing.evaluation("mentor", "prof.martinez", 25), "prof.martinez")

    later = _dyad(demo, 230, "dyad-brooks", "dr.lindqvist", "jamal.brooks", 2)  # healthy; network map still a draft
    _dyad_prepare(later, 224)
    _dyad_launch(later, 215)
    later.meet(205, 190, 176)
    _dyad_deepen(later, 172)
    later.meet(150, 131, 112, 96, 74, 55)
    later.submit(40, "progress_report", later.progress_report(40), "jamal.brooks")
    later.sign(38, "progress_report", "dr.lindqvist", "jamal.brooks")
    later.meet(36, 18)
    draft_map = later.network_map(10)
    draft_map["entries"][1] = {"person": "Someone in industry (to find)"}
    later.submit(10, "network_map", draft_map, "jamal.brooks")
    later.meet(4)

    paper = _dyad(demo, 120, "dyad-rossi", "dr.haddad", "sofia.rossi", 3)  # launched by override; reflection pending
    _dyad_prepare(paper, 113)
    paper.submit(100, "agreement", paper.agreement(100, drop=["confidentiality", "conflict_resolution"]), "dr.haddad")
    paper.submit(97, "idp", paper.idp(97), "sofia.rossi")
    paper.sign(96, "idp", "sofia.rossi", "dr.haddad")
    paper.fire(95, "launch", COORDINATOR, "Agreement signed on paper at orientation; the scan is on file", force=True)
    paper.meet(85, 64, 43, 22, 6)

    left = _dyad(demo, 210, "dyad-mwangi", "dr.petrov", "grace.mwangi", 3)
    _dyad_prepare(left, 203)
    _dyad_launch(left, 195)
    left.meet(180, 160)
    left.fire(140, "withdraw", "grace.mwangi", "Accepted an industry position in another city")


def early_dyads(demo: Demo) -> None:
    """Dyads in their first months, several of them stuck: silent, half-signed, drafting, or never started."""
    quiet = _dyad(demo, 150, "dyad-oconnor", "prof.nakamura", "liam.oconnor", 4)  # no meeting in 47 days
    _dyad_prepare(quiet, 143)
    _dyad_launch(quiet, 130)
    quiet.meet(118, 95, 70, 47)

    half = _dyad(demo, 50, "dyad-raman", "dr.abebe", "priya.raman", 5)  # agreement signed by the mentor only
    half.submit(44, "idp", half.idp(44, reviewed=False), "priya.raman")
    half.sign(43, "idp", "priya.raman")
    half.fire(42, "negotiate", "priya.raman")
    half.submit(35, "agreement", half.agreement(35), "dr.abebe")
    half.sign(35, "agreement", "dr.abebe")
    half.submit(34, "idp", half.idp(34), "priya.raman")
    half.sign(33, "idp", "dr.abebe", "priya.raman")

    drafting = _dyad(demo, 28, "dyad-gomez", "dr.fischer", "mateo.gomez", 0)  # agreement still a draft
    _dyad_prepare(drafting, 22)
    drafting.submit(9, "agreement", drafting.agreement(9, drop=["potential_barriers", "review_schedule"]), "dr.fischer")

    fresh = _dyad(demo, 12, "dyad-kim", "dr.osei", "hannah.kim", 1)  # plan drafted without dates
    plan = fresh.idp(6, reviewed=False)
    for objective in plan["objectives"]:
        del objective["target_date"]
    fresh.submit(6, "idp", plan, "hannah.kim")

    idle = _dyad(demo, 78, "dyad-farouk", "prof.bianchi", "omar.farouk", 2)  # a first draft, then silence
    idle.submit(74, "idp", idle.idp(74, reviewed=False, drop=["objectives", "long_term_goals"]), "omar.farouk")


def peers(demo: Demo) -> None:
    def circle(ago: int, rel_id: str, peers: list[str], profile: int, by: str | Actor = COORDINATOR) -> Rel:
        return demo.start(ago, rel_id, "informal-peer", {"peer": peers}, "stem-peer-2026", profile=profile, by=by)

    writing = circle(120, "peer-writing-circle", ["lena.hoffmann", "raj.patel", "chloe.dubois", "tomas.novak"], 3)
    writing.submit(115, "agreement", writing.agreement(115), "lena.hoffmann")
    writing.sign(114, "agreement", "lena.hoffmann", "raj.patel")
    writing.sign(112, "agreement", "chloe.dubois", "tomas.novak")
    writing.fire(112, "convene", "raj.patel")
    writing.meet(105, 91, 77, 63, 49, 35, 21, 7)

    parents = circle(15, "peer-grad-parents", ["aisha.bello", "ben.carter", "nora.lindgren"], 1, by="aisha.bello")
    parents.submit(12, "agreement", parents.agreement(12), "aisha.bello")
    parents.sign(11, "agreement", "aisha.bello")
    parents.sign(10, "agreement", "ben.carter")

    first_gen = circle(240, "peer-first-gen", ["kenji.watanabe", "amara.nwosu", "felix.wagner"], 4)
    first_gen.submit(236, "agreement", first_gen.agreement(236), "amara.nwosu")
    first_gen.sign(235, "agreement", "kenji.watanabe", "amara.nwosu", "felix.wagner")
    first_gen.fire(235, "convene", "amara.nwosu")
    first_gen.meet(225, 205, 185, 165, 145)
    first_gen.fire(140, "close", "amara.nwosu")

    managers = circle(200, "peer-lab-managers", ["isabel.cruz", "noah.levi"], 5)
    managers.submit(195, "agreement", managers.agreement(195, drop=["conflict_resolution", "end_date"]), "noah.levi")
    managers.fire(170, "dissolve", "noah.levi", "Isabel moved to another institution and no second peer joined")

    data = circle(190, "peer-data-science", ["kofi.asante", "maria.lopez", "erik.johansson"], 1)
    data.submit(186, "agreement", data.agreement(186), "maria.lopez")
    data.sign(185, "agreement", "kofi.asante", "maria.lopez", "erik.johansson")
    data.fire(184, "convene", "kofi.asante")
    data.meet(170, 150, 128, 105, 85, 66)


def facilitated(demo: Demo) -> None:
    def cohort(ago: int, rel_id: str, facilitators: list[str], members: list[str], profile: int) -> Rel:
        roles = {"facilitator": facilitators, "member": members}
        return demo.start(ago, rel_id, "facilitated-peer", roles, "new-faculty-2026", profile=profile)

    def prepare(rel: Rel, ago: int, theme: str) -> None:
        """The curriculum, the launch, and the agreement signed by everyone: sessions begin."""
        lead = rel.first("facilitator")
        rel.submit(ago, "curriculum", rel.curriculum(ago, theme), lead)
        rel.fire(ago - 2, "launch", lead)
        rel.submit(ago - 7, "agreement", rel.agreement(ago - 7), lead)
        rel.sign(ago - 9, "agreement", *rel.everyone)
        rel.fire(ago - 10, "begin", rel.first("member"))

    def evaluate(rel: Rel, ago: int, people: list[str]) -> None:
        for offset, person in enumerate(people):
            role = "facilitator" if person in rel.roles["facilitator"] else "member"
            rel.submit(ago - offset, "evaluation", rel.evaluation(role, person, ago - offset), person)

    spring = cohort(20, "fpm-spring-cohort", ["prof.adeyemi"], ["joao.pereira", "mei.lin", "arjun.mehta"], 2)
    spring.submit(14, "curriculum", spring.curriculum(14, "Starting out as faculty", dated=False), "prof.adeyemi")

    clinicians = cohort(
        70,
        "fpm-clinician-educators",
        ["dr.ward", "dr.cho"],
        ["ruth.alvarez", "ivan.sokolov", "zara.ahmed", "peter.mensah"],
        5,
    )
    clinicians.submit(60, "curriculum", clinicians.curriculum(60, "Clinician educators"), "dr.ward")
    clinicians.fire(58, "launch", "dr.cho")
    clinicians.submit(50, "agreement", clinicians.agreement(50), "dr.ward")
    clinicians.sign(49, "agreement", "dr.ward", "dr.cho", "ruth.alvarez")
    clinicians.sign(45, "agreement", "ivan.sokolov")

    stem = cohort(
        110,
        "fpm-stem-faculty",
        ["dr.kaplan"],
        ["olivia.grant", "hamid.rahimi", "lucia.ferrari", "sven.berg", "adaeze.obi"],
        2,
    )
    prepare(stem, 100, "Running a lab on the tenure track")
    stem.meet(66, 38, 10)

    humanities = cohort(
        230, "fpm-humanities", ["prof.lindahl"], ["chen.wu", "maya.singh", "david.kruger", "ines.moreno"], 3
    )
    prepare(humanities, 222, "Writing the first book")
    humanities.meet(200, 185, 170, 150, 130, 110, 90, 70, 50)
    humanities.fire(40, "wrap_up", "prof.lindahl")
    evaluate(humanities, 35, ["prof.lindahl", "chen.wu", "maya.singh"])

    health = cohort(265, "fpm-health-sciences", ["dr.cho"], ["anna.kowal", "bilal.khan", "rosa.diaz"], 5)
    prepare(health, 258, "Balancing clinical, teaching and research time")
    health.meet(240, 226, 212, 198, 184, 170)
    health.fire(165, "wrap_up", "dr.cho")
    evaluate(health, 160, health.everyone)
    health.fire(155, "conclude", "dr.cho")

    engineering = cohort(180, "fpm-engineering", ["prof.okoye"], ["leo.martin", "sara.holm", "yusuf.demir"], 4)
    engineering.submit(172, "curriculum", engineering.curriculum(172, "Industry partnerships"), "prof.okoye")
    engineering.fire(170, "launch", "prof.okoye")
    engineering.fire(150, "cancel", "prof.okoye", "Facilitator on extended leave; members moved to the spring cohort")


def groups(demo: Demo) -> None:
    def group(ago: int, rel_id: str, mentors: list[str], mentees: list[str], profile: int) -> Rel:
        return demo.start(
            ago, rel_id, "group", {"mentor": mentors, "mentee": mentees}, "lab-groups-2026", profile=profile
        )

    def plans(rel: Rel, ago: int, mentees: list[str]) -> None:
        """Each mentee submits their own development plan, a day apart."""
        for offset, mentee in enumerate(mentees):
            rel.submit(ago - offset, "idp", rel.idp(ago - offset, profile=score(mentee, len(PROFILES))), mentee)

    def charter(rel: Rel, ago: int) -> None:
        """Plans from every mentee, the charter signed by all, then regular meetings."""
        plans(rel, ago, rel.roles["mentee"])
        rel.fire(ago - 4, "charter", rel.first("mentor"))
        rel.submit(ago - 8, "agreement", rel.agreement(ago - 8), rel.first("mentor"))
        rel.sign(ago - 10, "agreement", *rel.everyone)
        rel.fire(ago - 11, "activate", rel.first("mentee"))

    def report(rel: Rel, ago: int, mentees: list[str]) -> None:
        for offset, mentee in enumerate(mentees):
            rel.submit(ago - offset, "progress_report", rel.progress_report(ago - offset), mentee)

    def evaluate(rel: Rel, ago: int, people: list[str]) -> None:
        for offset, person in enumerate(people):
            role = "mentor" if person in rel.roles["mentor"] else "mentee"
            rel.submit(ago - offset, "evaluation", rel.evaluation(role, person, ago - offset), person)

    neuro = group(
        25,
        "group-neuro-2026",
        ["dr.rahman", "prof.keller"],
        ["emma.walsh", "jin.park", "ali.haidari", "nadia.petrova"],
        0,
    )
    plans(neuro, 20, ["emma.walsh", "jin.park", "ali.haidari"])
    neuro.submit(15, "idp", neuro.idp(15, reviewed=False, drop=["objectives"], profile=3), "nadia.petrova")

    chem = group(30, "group-chem-lab", ["dr.evans", "dr.mbeki"], ["zoe.harris", "ahmed.ali", "camille.roux"], 2)
    plans(chem, 28, chem.roles["mentee"])
    chem.fire(22, "charter", "dr.evans")
    chem.submit(18, "agreement", chem.agreement(18), "dr.mbeki")
    chem.sign(17, "agreement", "dr.evans", "dr.mbeki")
    chem.sign(15, "agreement", "zoe.harris", "ahmed.ali")

    bio = group(
        200, "group-bioinformatics", ["dr.nguyen", "prof.sato"], ["carlos.mendes", "ella.fraser", "ravi.kumar"], 1
    )
    charter(bio, 195)
    bio.meet(170, 150, 130, 110)
    bio.join(100, "mentee", "beatriz.souza")
    bio.leave(95, "ella.fraser", "Finished her degree early and moved to a postdoc abroad")
    plans(bio, 92, ["beatriz.souza"])
    bio.meet(90, 70)
    report(bio, 60, ["carlos.mendes", "ravi.kumar"])
    bio.meet(50, 30, 12)

    public_health = group(
        255, "group-public-health", ["dr.fontaine", "dr.achebe"], ["tess.morgan", "omar.sayed", "lily.chen"], 5
    )
    charter(public_health, 250)
    public_health.meet(230, 210, 190, 170, 150, 130, 110, 90, 70, 50, 30)
    report(public_health, 25, public_health.roles["mentee"])
    public_health.fire(15, "conclude", "dr.fontaine")
    evaluate(public_health, 12, ["dr.fontaine", "tess.morgan", "omar.sayed"])

    physics = group(268, "group-physics", ["prof.keller", "dr.rahman"], ["sophie.martin", "kwame.owusu", "ana.ruiz"], 4)
    charter(physics, 265)
    physics.meet(245, 230, 215, 200, 185, 170, 155, 140, 125, 110, 95, 80)
    report(physics, 75, physics.roles["mentee"])
    physics.fire(70, "conclude", "prof.keller")
    evaluate(physics, 65, physics.everyone)
    physics.fire(60, "complete", "sophie.martin")

    mech = group(150, "group-mech-eng", ["dr.okafor", "dr.lindqvist"], ["hugo.blanc", "sana.iqbal", "marco.vitale"], 4)
    plans(mech, 145, ["hugo.blanc", "sana.iqbal"])
    mech.fire(120, "disband", "dr.okafor", "The lab merged into the department-wide cohort")


def micro(demo: Demo) -> None:
    def request(ago: int, rel_id: str, mentor: str, mentee: str, brief: int | None) -> Rel:
        """The mentee asks for a conversation and sends the plan, and the brief numbered ``brief`` if given."""
        rel = demo.start(
            ago,
            rel_id,
            "micro-mentoring",
            {"mentor": [mentor], "mentee": [mentee]},
            "ask-an-expert-2026",
            profile=score(mentee, len(PROFILES)),
            by=mentee,
        )
        rel.submit(ago, "idp", rel.idp(ago, reviewed=False), mentee)
        if brief is not None:
            rel.submit(ago, "brief", rel.brief(ago, brief), mentee)
        return rel

    def meet_once(rel: Rel, ago: int) -> None:
        rel.fire(ago, "schedule", rel.first("mentor"))
        rel.meet(ago - 7, by=rel.first("mentee"))
        rel.fire(ago - 7, "hold", rel.first("mentee"))

    asking = request(5, "micro-hassan", "prof.eriksen", "tariq.hassan", None)
    asking.submit(3, "brief", asking.brief(3, 0, drop=["desired_outcome"]), "tariq.hassan")

    booked = request(32, "micro-yilmaz", "dr.moreau", "elif.yilmaz", 1)  # the meeting is not recorded yet
    booked.fire(25, "schedule", "dr.moreau")

    met = request(20, "micro-park", "dr.kowalski", "daniel.park", 2)
    meet_once(met, 16)

    closed = request(100, "micro-zahra", "prof.ito", "fatima.zahra", 3)
    meet_once(closed, 96)
    closed.meet(75, by="prof.ito")
    closed.fire(74, "close", "fatima.zahra")

    converted = request(150, "micro-tanaka", "dr.santos", "yuki.tanaka", 0)
    meet_once(converted, 146)
    converted.sign(138, "idp", "yuki.tanaka", "dr.santos")
    converted.meet(125, by="dr.santos")
    consent = sample("consent", converted.day(120))
    converted.submit(120, "conversion", consent, "dr.santos")
    converted.sign(119, "conversion", "dr.santos", "yuki.tanaka")
    converted.fire(119, "convert", "yuki.tanaka")
    started = demo.mf.history(converted.id, session=demo.session)[-1]
    dyad = Rel(demo, started.payload["relationship"], {"mentor": ["dr.santos"], "mentee": ["yuki.tanaka"]}, 0)
    demo.created["traditional-dyad"] += 1
    dyad.fire(118, "negotiate", "dr.santos")  # the carried plan is complete and signed already
    dyad.submit(112, "agreement", dyad.agreement(112), "yuki.tanaka")
    dyad.sign(110, "agreement", "yuki.tanaka", "dr.santos")
    dyad.fire(110, "launch", "yuki.tanaka")
    dyad.meet(100, 80, 60, 39, 17)

    declined = request(60, "micro-whitfield", "prof.eriksen", "sam.whitfield", 1)
    declined.fire(55, "decline", "prof.eriksen", "Outside my area; I suggested dr.moreau, who works on exactly this")

    forgotten = request(45, "micro-ferreira", "dr.moreau", "lucas.ferreira", None)  # expires at the next tick
    del forgotten
