import pytest

from service.pipeline.neutrality import (
    find_loaded_terms,
    is_commentary,
    loaded_terms,
    neutralise,
    opens_dangling,
    sums_up,
    without_filler_opener,
)
from tests.test_slack_inputs import takes_linear_time


def test_loaded_terms_are_found_in_their_forms() -> None:
    assert "dictator" in find_loaded_terms("The Dictator's comments were clear.")
    assert "relentless" in find_loaded_terms("a relentless pursuit of missiles")
    assert "regime" in find_loaded_terms("the regimes of the region")
    assert find_loaded_terms("The government announced a budget.") == []
    # found by an editor reading summaries: judging words a report does not need
    assert find_loaded_terms("a sleazy dossier") == ["sleazy"]
    assert find_loaded_terms("Trump has griped about relief efforts.") == ["gripe"]
    assert find_loaded_terms("Her rivals ganged up on her.") == ["ganged up"]
    # judging adjectives a model put before the story's people
    assert find_loaded_terms("The incompetent governor declared an emergency.") == ["incompetent"]
    assert find_loaded_terms("Hapless rescue teams searched.") == ["hapless"]
    assert find_loaded_terms("The greedy union said 20,000 walked out.") == ["greedy"]
    # labels a summary had stated as fact: "the baby-face teenage vigilante charged over ..."
    assert set(find_loaded_terms("the baby-faced teenage vigilante")) == {"baby-face", "vigilante"}
    assert find_loaded_terms("a terrifying new report") == ["terrifying"]


def test_reword_or_refuse() -> None:
    assert neutralise("The regime announced new rules.") == "The government announced new rules."
    assert neutralise("The Dictator spoke.") == "The Leader spoke."
    assert neutralise("Its relentless pursuit of arms continued.") is None
    assert neutralise("Officials met on Monday.") == "Officials met on Monday."


def test_dangling_openers() -> None:
    assert opens_dangling("He said the talks failed.")
    assert opens_dangling("However, the port stayed open.")
    assert opens_dangling("Plus, at $15 for 40 doses, it is cheaper than its rivals.")
    assert opens_dangling("The latter said no.")
    assert not opens_dangling("Helen Smith said the talks failed.")


def test_such_and_this_point_back_at_a_sentence_before() -> None:
    for text in [
        "Eastwood's film will leave such people vaguely uneasy.",
        "Researchers believe this change could help explain why the disease is rare.",
        "The debate provided another one of these moments for the candidates.",
        "The market might have room for this kind of jolt, analysts say.",
        "Seven of those ten children went to college by the age of twelve.",
        "On the other hand, the market might have room for a new drink.",
        "In fact, the studio did not drop everything after reading the book.",
    ]:
        assert opens_dangling(text), text
    for text in [
        "Officials said this week that the port would close.",
        "Tools such as hammers were found at the scene on Monday.",
        'The plan, he said, was "such a mess" from the start.',
        "The wreck is among the largest this country has seen.",
        "Among runners, those with the lowest risk ran less than three times a week.",
        "The attack was like those in Volgograd last month.",
        "A minute's silence was held to remember victims and those who were affected.",
        "Half of those polled said the economy was getting worse.",
        "Police said those arrested face charges of rioting and looting.",
        "Profits rose 12 percent this quarter, Apple said on Tuesday.",
        "After all the votes were counted, Smith led by 300 votes.",
        "There is no such thing as a free lunch, the Fed chair said.",
    ]:
        assert not opens_dangling(text), text


def test_as_such_points_back_only_as_a_phrase_of_its_own() -> None:
    assert opens_dangling("As such, they are not considered a species.")
    assert not opens_dangling("As such a large company, Apple pays its suppliers late.")
    assert opens_dangling("For instance, Hispanic unemployment is at a new low.")
    assert opens_dangling("For years, she dealt with sores that would not heal.")
    assert not opens_dangling("For years, Mona Harding taught her children at home.")
    assert not opens_dangling("For example games, the league sells cheaper tickets.")


def test_the_is_not_a_dangling_opener() -> None:
    # "the latter"/"the former" are matched as phrases; a plain "The ..." opener is fine
    assert not opens_dangling("The port stayed open on Monday.")
    assert opens_dangling("The former said no.")
    # a short phrase, then "he"/"she" with nobody named: the person is in an earlier sentence
    assert opens_dangling("Inside the shop, he was confronted by two men.")
    assert opens_dangling("In 1989, she joined a reunion tour.")
    assert not opens_dangling("When Smith arrived, he found the door open.")
    assert not opens_dangling("In a statement, the mayor said the port stayed open.")
    assert not opens_dangling("At the hearing the judge said he would rule on Friday.")
    # the only speaker is a pronoun: after another person's quotation it reads as theirs
    assert opens_dangling('"I voted against it, not for art\'s sake," he said.')
    assert opens_dangling("The plan will fail, she added.")
    assert opens_dangling('"We won," said he.')
    assert not opens_dangling('"We won," Christie said.')
    assert not opens_dangling("Obama said he would go to Berlin.")
    # openers that lean on what came before, matched as whole phrases
    assert opens_dangling("At the time, the researchers believed the soldiers had died.")
    assert opens_dangling("As a result, the bridge stayed closed.")
    assert opens_dangling("Here the troops met no resistance.")
    assert not opens_dangling("At the trial, the judge read the verdict.")
    assert not opens_dangling("As a rule, the court sits on Mondays.")
    assert not opens_dangling("At the time of his death, Smith was 84 years old.")
    assert opens_dangling("At the same time, it features a ton of dinosaurs.")
    assert opens_dangling("He's the king of all he surveys.")  # a contraction opens it
    assert opens_dangling("They’re expected to vote on Friday.")
    assert not opens_dangling("In response to the attack, NATO sent ships to the region.")
    assert not opens_dangling("In turn-by-turn directions, the app guides drivers.")
    # a pronoun tag counts after a quotation or at the sentence's end, not mid-sentence
    assert not opens_dangling("After Smith resigned, he said he would run for governor.")
    assert not opens_dangling("When the police arrived, they said the gunman had fled.")


def test_terms_learned_from_the_dev_data() -> None:
    assert neutralise("A sweeping law passed.") == "A broad law passed."
    assert neutralise("The huge crowd left.") == "The big crowd left."
    assert neutralise("Kagan, a huge fan of comics, spoke.") == "Kagan, a big fan of comics, spoke."
    # a quotation is never reworded (that would misquote): the sentence is left out
    assert neutralise('Goldberg said, "It\'s a huge day in the Marvel universe."') is None
    assert neutralise("“A huge day,” she said.") is None
    assert neutralise("Trump hails 'huge' win in Senate vote.") is None  # a headline's quote
    assert neutralise('"This is a huge day for all of us.') is None  # runs on: still quoted
    assert neutralise("The workers' huge effort paid off.") == "The workers' big effort paid off."
    assert neutralise("He has a reputation of being a fucking weirdo.") is None  # profanity
    assert neutralise("John C. Reilly is wonderful in the film.") is None  # a critic's praise
    # judging words with no rewording that fits every form: the sentence is left out
    assert neutralise("The senator falsely claimed victory.") is None
    assert "embattled" in find_loaded_terms("The embattled mayor resigned.")
    for judging in ("The cowardly attack was condemned.", "The firefighters' heroic effort."):
        assert neutralise(judging) is None, judging


def test_every_listed_term_is_found_through_the_combined_pattern() -> None:
    # the one-pattern prefilter must not hide any term of the list, inflected or not
    for entry in loaded_terms():
        for form in (entry.term, entry.term + "s", entry.term.upper()):
            # "ram" is loaded only for a bill forced through, "caved in" only to someone
            template = {"ram": "{} the bill through", "caved in": "{} to it"}.get(entry.term)
            sentence = f"The officials {(template or '{} it').format(form)} today."
            assert entry.term in find_loaded_terms(sentence), form
    assert find_loaded_terms("Officials said the talks went well.") == []
    assert (
        neutralise("Officials said the talks went well.") == "Officials said the talks went well."
    )


def test_the_writers_reading_of_events_is_commentary_not_news() -> None:
    readings = [
        "Kim's push to bolster missile production reflects his commitment to strengthening"
        " the country's military capabilities.",
        "The call for faster missile production indicates Kim’s determination to expand the"
        " country’s military capabilities.",
        "The sharp exchanges in the Nevada debate reflected the urgency of the moment.",
        "The update is an unusual move for Microsoft and underscores the seriousness of the flaw.",
        "The timing of Kim’s call for missile production enhancement is also noteworthy.",
        "This announcement is significant as it highlights the country's intention to test.",
        "In conclusion, Kim Jong-un’s call underscores an unwavering commitment to the program.",
        "This underscores the importance of the alliance.",  # the model's favourite
        "Her career is a testament to hard work.",
    ]
    for text in readings:
        assert is_commentary(text), text
    news = [
        "He underscored the importance of the munitions industry's development.",  # his act
        "JAB signaled its intention to focus on consumer goods instead.",
        "The study highlights the importance of early sensory processing for reading.",
        "The reports indicate Kim's determination to expand the program.",
        "The agency's filing indicates its intent to appeal the decision.",
        "The White House's letter signaled its willingness to negotiate.",
        "The outage highlights the role of a single software vendor.",
        "It was the site of the highest signal strength, Matthews told CNN.",
        "The damage was significant.",
        "The drop was significant as it was the largest since 2008.",
        "The poll shows Romney at 49 percent and Obama at 45 percent.",
        "In conclusion, the judge ordered the company to pay $3 million in damages.",
        '"It reflects his commitment to the people," the senator said.',
        # a reading credited to someone stands as theirs
        "The Fed's decision reflects its commitment to bring inflation down, Powell said.",
        "Kim's push reflects his commitment to military power, according to Reuters.",
    ]
    for text in news:
        assert not is_commentary(text), text


def test_a_wrap_up_opener_marks_the_writers_summing_up() -> None:
    assert sums_up("In short, it was really nasty stuff.")
    assert sums_up("In Conclusion, the vote passed.")
    assert not sums_up("In short order, the police arrived.")


def test_a_filler_opener_is_cut_and_the_sentence_capitalised_again() -> None:
    assert (
        without_filler_opener("In a recent development, North Korean leader Kim spoke.")
        == "North Korean leader Kim spoke."
    )
    assert (
        without_filler_opener("In other news, the factories were described as vital.")
        == "The factories were described as vital."
    )
    assert without_filler_opener("In related news, eBay said it would cut jobs.") == (
        "eBay said it would cut jobs."
    )
    assert without_filler_opener("In the latest development, police said.") == "Police said."
    assert without_filler_opener("In other news, 'we will rebuild,' the mayor said.") == (
        "'We will rebuild,' the mayor said."
    )
    # the writer's verdict on what follows is no part of a neutral summary's voice
    assert without_filler_opener("Fortunately, the monkey does not share its fate.") == (
        "The monkey does not share its fate."
    )
    assert without_filler_opener("Sadly, three people died.") == "Three people died."
    speaker = "Unfortunately, the company said, the plant will close in June."
    assert without_filler_opener(speaker) == speaker  # the speaker's word, not the writer's
    assert without_filler_opener("Definitely, the battery drain is a problem still.") == (
        "The battery drain is a problem still."
    )
    assert without_filler_opener("Sadly enough the story ends.") == "Sadly enough the story ends."
    kept = "In a development that surprised many, Kim spoke on Sunday."
    assert without_filler_opener(kept) == kept


def test_a_judgement_reported_is_told_from_one_made() -> None:
    """ "Insisted he is not a racist" reports an accusation; "the brutal regime said" makes one."""
    from service.pipeline.neutrality import reports_a_judgement

    for reported in (
        "President Trump on Tuesday insisted he is not a racist amid criticism.",
        "The House will vote on a resolution condemning the tweets as racist.",
        'Trump asserted that his tweets "were NOT Racist," and urged a vote.',
        "Critics called the plan draconian.",
    ):
        assert reports_a_judgement(reported), reported
    for made in (
        "The brutal regime said it would hold elections.",
        "A racist photo in his yearbook caused a controversy.",
        "The claims were outrageous and baseless.",  # a noun, not a reporting verb
        "Police said the singer, a party girl known for her wild antics, was arrested.",
    ):
        assert not reports_a_judgement(made), made


def test_the_regime_is_not_reworded_where_the_government_could_be_anothers() -> None:
    """ "Japan must brace ... for a North Korean missile if the regime carries out a threat"
    read, reworded, as if Japan's government would carry it out."""
    from service.pipeline.neutrality import neutralise

    japan = (
        "Japan must brace itself for a North Korean missile over its territory if the "
        "regime carries out a threat to test a hydrogen bomb."
    )
    assert neutralise(japan) is None
    assert neutralise("The Assad regime bombed Aleppo.") == "The Assad government bombed Aleppo."
    assert neutralise("On Monday, the regime said it would respond.") == (
        "On Monday, the government said it would respond."
    )
    assert neutralise("The regime's ships leave port") == "The government's ships leave port"


def test_an_it_that_stands_for_nothing_before_it_does_not_dangle() -> None:
    """The Gilroy story's one sentence with "15 others injured" opened "It took less than a
    minute ..." and was left out as if "It" needed an antecedent."""
    for standing in (
        "It took less than a minute for police officers to respond after gunfire erupted.",
        "It is unclear whether the talks will resume.",
        "It is believed that the gunman acted alone.",
        "It has been two years since the flood.",
        "It's unclear whether the plane turned back.",
        "It's been two years since the flood.",
    ):
        assert not opens_dangling(standing), standing
    for pointing_back in (
        "It took off from Jakarta at 6:20 a.m. local time.",
        "It took place in the capital's main square.",
        "It took control of Mosul in 2014.",
        "It was the deadliest attack in a decade.",
        "It was expected to open in May.",
        "It was destroyed in the fire.",
    ):
        assert opens_dangling(pointing_back), pointing_back


def test_a_critics_verb_in_its_literal_sense_is_not_loaded() -> None:
    """A bombing story lost every sentence that counted its blasts, and a storm story every
    sentence it "slammed": the critic's verbs are loaded only as a critic's."""
    for criticism in (
        "Trump blasts Democrats over the budget.",
        "Sanders blasted the plan as a giveaway.",
        'Davis then blasted "the current leadership" in Austin.',
        "Trump signs the order and blasts Democrats over the budget.",
        "He blasted away at the plan on Monday.",
    ):
        assert find_loaded_terms(criticism), criticism
        assert neutralise(criticism) is None, criticism
    # "slam" has a plain word for it, "blast" none (it is as often a quarry's or a band's)
    assert find_loaded_terms("Granholm slammed Senate Republicans on Sunday.") == ["slam"]
    assert neutralise("Granholm slammed Senate Republicans on Sunday.") == (
        "Granholm criticized Senate Republicans on Sunday."
    )
    for literal in (
        "Two blasts ripped through the market on Friday.",
        "The blasts killed 30 people near the station.",
        "An activist said blasts and heavy shooting could be heard in the city.",
        "The car slammed into a wall near the station.",
        "Counties slammed by Hurricane Michael last month have asked for aid.",
        "A bomb cyclone slams the East Coast with snow and ice.",
        "The rocket blasted off from Florida on Tuesday.",
        "Coordinated blasts killed 30 people in the capital.",
        "Blasts were heard across the city overnight.",
        "The ship was slammed by 10-metre waves off the coast.",
        "The truck slammed head-on into a bus.",
    ):
        assert find_loaded_terms(literal) == [], literal
        assert neutralise(literal) == literal, literal
    # a literal use beside a loaded one: the loaded one still counts
    assert find_loaded_terms("Two blasts killed 30 people in a brutal attack.") == ["brutal"]


def test_a_reworded_term_keeps_the_form_it_was_written_in() -> None:
    """ "Dictators across the region" had read "Leader across the region", "the regimes'
    leaders" "the government' leaders", "hugely popular" "big popular", and a headline in
    capitals "VALDONIA'S Leader CRUSHES UPRISING"."""
    assert (
        neutralise("Dictators across the region watched.") == "Leaders across the region watched."
    )
    assert neutralise("The regimes' leaders met.") == "The governments' leaders met."
    assert neutralise("Tyrants fell.") == "Leaders fell."
    assert neutralise("VALDONIA'S DICTATOR RESIGNS") == "VALDONIA'S LEADER RESIGNS"
    assert neutralise("The plan was hugely popular.") is None  # no "bigly"
    # a critic's verb in every form, headlines' included
    assert neutralise("Critics slam the plan.") == "Critics criticize the plan."
    assert neutralise("Obama slams Trump as unfit.") == "Obama criticizes Trump as unfit."
    assert neutralise("He was slamming the plan.") == "He was criticizing the plan."
    assert neutralise("Trump Slams Democrats") == "Trump Criticizes Democrats"
    assert neutralise("The senator lambasted the bill.") == "The senator criticized the bill."
    assert neutralise("A report excoriates the police.") == "A report criticizes the police."
    assert neutralise("She railed against the plan.") == "She criticized the plan."
    # a verb's -ing form used as an adjective has no such rewording: "a criticizing report"
    assert neutralise("An excoriating report was released.") is None
    assert neutralise("It was a slamming review.") is None
    # a compound of a reworded term keeps its second half
    assert neutralise("Regime-held areas were shelled.") == "Government-held areas were shelled."
    assert neutralise("Pro-regime militias advanced.") == "Pro-government militias advanced."


def test_a_literal_use_beside_a_loaded_one_is_not_reworded() -> None:
    """The list's rewording was applied to every use of the word, the literal one too."""
    assert neutralise(
        "The storm slammed into the coast and the governor slammed the response."
    ) == ("The storm slammed into the coast and the governor criticized the response.")


def test_a_label_someone_used_for_someone_is_not_reworded() -> None:
    """ "Protesters called Olsen a dictator" had read "Protesters called Olsen a leader": the
    rewording turned the protesters' accusation into praise."""
    for named in (
        "Protesters called Olsen a dictator and demanded his resignation.",
        "Critics called the government a regime.",
        "Assad called the rebels terrorists.",
        "The opposition described the government as a regime.",
        "He has been labelled a dictator by critics.",
        "Officials said the militants, whom the government calls terrorists, fled.",
    ):
        assert neutralise(named) is None, named
    # "called for", "called on", "called ... home", or a word far from the verb: no label
    assert neutralise("Protesters called on the dictator to resign.") == (
        "Protesters called on the leader to resign."
    )
    assert neutralise("Brachiosaurs called a huge swath of North America home.") == (
        "Brachiosaurs called a big swath of North America home."
    )
    assert neutralise("She called the senator who slammed the bill a hypocrite.") == (
        "She called the senator who criticized the bill a hypocrite."
    )
    # a label as what someone is: reworded, it would be another claim ("is a leader")
    for claim in (
        "He is a dictator, critics say.",
        "The rebels are terrorists, the army said.",
        "Its leaders are dictators in all but name.",
    ):
        assert neutralise(claim) is None, claim
    assert neutralise("It was a huge success.") == "It was a big success."
    assert neutralise("The dictator is old.") == "The leader is old."
    unrest = (
        "The unrest has been described as the worst since the end of the military "
        "dictatorship in 1974."
    )
    assert neutralise(unrest) == unrest.replace("dictatorship", "government")


def test_regime_as_a_system_of_rules_is_no_label() -> None:
    """ "Its sanctions regime" had read "its sanctions government", "the regime of the
    river" "the government of the river"."""
    for rules in (
        "The EU extended its sanctions regime against Russia.",
        "Britain's tax regime favours property owners.",
        "Kiev was in no hurry to impose a visa regime on Russia.",
        "Engineers studied the regime of the river for a decade.",
        "The athlete followed a strict training regime.",
        "The chemotherapy regime lasted six weeks.",
        "Cheeks was the victim of a regime change in Portland.",
    ):
        assert find_loaded_terms(rules) == [], rules
        assert neutralise(rules) == rules, rules
    assert neutralise("The regime said the tax regime would change.") == (
        "The government said the tax regime would change."
    )


def test_sweeping_the_verb_is_not_reworded() -> None:
    """ "Cold air sweeping across the region" had read "cold air broad across the region"."""
    for verb in (
        "A snowstorm that was sweeping across the Midwest left eight people dead.",
        "The fertility decline that is now sweeping the planet started early.",
        "Protests sweeping the region toppled two leaders.",
    ):
        assert neutralise(verb) == verb, verb
    assert neutralise("A sweeping new law passed.") == "A broad new law passed."


def test_more_literal_senses_are_not_loaded() -> None:
    """A tennis title, a door, a quarry, chemistry, a pension and a direction are no one's
    judgement; each had cost its sentence."""
    for literal in (
        "Nadal has won 22 Grand Slams.",
        "He finished with a slam dunk.",
        "She slammed the door and left.",
        "The driver slammed on the brakes.",
        "The officer slammed him to the ground.",
        "Workers blasted rock to widen the tunnel.",
        "Speakers blasted music all night.",
        "Police blasted the protesters with water cannon.",
        "Free radicals damage cells.",
        "The pension scheme will cost $2 billion.",
        "He ran a Ponzi scheme for a decade.",
        "It was a minor event in the overall scheme of things.",
        "The roof caved in after the storm.",
        "The mine roof caved in on Tuesday.",
        "Judge slammed his 50th home run on Monday.",
        "She performs slam poetry.",
        "Two car bombs ripped through the market.",
        "The activist ripped up a photo of the king.",
        "Shrapnel ripped into nearby homes.",
        "Obama warned against moving too far left in politics.",
        "The mayor, pictured at far right, cut the ribbon.",
        "A truck rammed through the gate.",
        "The Rams won on Sunday.",
        "A car rammed a police van.",
    ):
        assert find_loaded_terms(literal) == [], literal
        assert neutralise(literal) == literal, literal


def test_hyphenated_and_spaced_forms_are_the_same_term() -> None:
    assert find_loaded_terms("The far right party won 20 percent.") == ["far-right"]
    assert find_loaded_terms("The radical-left mayor signed it.") == ["radical left"]
    assert find_loaded_terms("The probe is a witch-hunt.") == ["witch hunt"]
    assert find_loaded_terms("The so called plan was unveiled.") == ["so-called"]
    # the singular of a label listed in the plural
    assert find_loaded_terms("The illegal alien was deported.") == ["illegal alien"]
    assert find_loaded_terms("Protesters held baby-killer signs.") == ["baby killer"]
    # a verb's forms: the doubled consonant, the dropped "e"
    assert find_loaded_terms("The senator was slamming the plan.") == ["slam"]
    assert find_loaded_terms("The senator was rebuking the plan.") == ["rebuke"]


def test_so_called_is_left_out_before_a_name() -> None:
    """ "so-called" before a name only says it is called so; before a label it keeps the
    label at a distance, and leaving it out would state the label."""
    assert neutralise("A flag used by so-called Islamic State was shown.") == (
        "A flag used by Islamic State was shown."
    )
    assert neutralise("The so called Bali Roadmap was agreed.") == "The Bali Roadmap was agreed."
    assert neutralise("They built a so-called Iron Dome.") == "They built an Iron Dome."
    for kept_apart in (
        "They feel hectored by so-called race hustlers.",
        'The so-called "experts" disagreed.',
        "The hill is so called because of its shape.",
        "Voters were handed a so-called NGO list.",
    ):
        assert neutralise(kept_apart) is None, kept_apart


def test_a_bill_rammed_through_is_a_bill_pushed_through() -> None:
    assert neutralise("Republicans rammed through the tax bill.") == (
        "Republicans pushed through the tax bill."
    )
    assert neutralise("Democrats rammed the bill through the Senate.") == (
        "Democrats pushed the bill through the Senate."
    )
    assert neutralise("The bill was rammed through Congress.") == (
        "The bill was pushed through Congress."
    )


def test_labels_and_verbs_found_leaking_in_review() -> None:
    assert neutralise("The senator ripped into the bill.") == "The senator criticized the bill."
    assert (
        neutralise("The accuser also rips into his apology.")
        == "The accuser also criticizes his apology."
    )
    assert neutralise("The governor caved to union demands.") == (
        "The governor yielded to union demands."
    )
    assert neutralise("The governor caved in to pressure.") == "The governor yielded to pressure."
    assert neutralise("Five terrorists were shot dead.") == "Five militants were shot dead."
    assert neutralise('State TV blamed "terrorists" for the attack.') is None  # a quotation
    assert neutralise("A homicide bomber struck.") == "A suicide bomber struck."
    assert neutralise("The pro-abortion lawmakers voted yes.") == (
        "The abortion-rights lawmakers voted yes."
    )
    for unreworded in (
        "The law is a power grab by the governor.",
        "The dictatorial government banned protests.",
        "The tyrannical government banned protests.",
        "The mayor's disgraceful conduct drew criticism.",
        "The rail line is a boondoggle.",
        "The job-killing rule passed.",
        "The globalist elites met in Davos.",
        "Trump continues to slam spineless Senate leader Mitch McConnell.",  # NeuS dev
    ):
        assert neutralise(unreworded) is None, unreworded
    # "terrorism" in court reporting and "terrorist attack" are left as they are
    for kept in ("He faces terrorism charges.", "It was a terrorist attack, police said."):
        assert neutralise(kept) == kept, kept


def test_ripped_and_caved_alone_keep_their_literal_sense() -> None:
    """ "She wore ripped jeans" had read "She wore criticized jeans", and "The tunnel roof
    caved" "The tunnel roof yielded": a critic's "ripped" needs its "into", a "caved" that
    yields needs someone to yield to."""
    for literal in (
        "She wore ripped jeans to the hearing on Monday.",
        "He ripped the letter in half during the hearing.",
        "Smith ripped a single to left field.",
        "He ripped his hamstring in training.",
        "The tunnel roof caved on Monday, trapping three miners.",
        "A wall of the mine caved in after the blast.",
    ):
        assert find_loaded_terms(literal) == [], literal
        assert neutralise(literal) == literal, literal
    assert neutralise("Democrats ripped into the plan.") == "Democrats criticized the plan."
    assert neutralise("Critics are ripping into the budget.") == (
        "Critics are criticizing the budget."
    )
    assert neutralise("The party caved in to pressure.") == "The party yielded to pressure."
    assert neutralise("The mayor caved to the unions.") == "The mayor yielded to the unions."


def test_so_called_is_left_out_only_where_the_article_can_be_told() -> None:
    """ "A so-called European Super League" had read "An European Super League": the first
    letter of "Eu-", "One", "Once", "U-" and "H-" does not tell "a" from "an"."""
    for untold in (
        "A so-called European Super League was announced.",
        "Beijing insists on a so-called One China policy.",
        "It was a so-called Once Only principle.",
        "They formed a so-called Unity Council.",
        "It was a so-called Honour Guard.",
    ):
        assert neutralise(untold) is None, untold
    assert neutralise("They built a so-called Iron Dome.") == "They built an Iron Dome."
    assert neutralise("It sold an so-called Apple Phone.") == "It sold an Apple Phone."
    assert neutralise("An so-called Bali Roadmap was agreed.") == "A Bali Roadmap was agreed."


def test_as_the_conjunction_is_no_naming() -> None:
    """ "The painting was sold as the regime collapsed" had been left out as if someone had
    named the government a regime: "painting", "viewers" and "cast" (a vote) were read as
    the verbs that name, and "as" anywhere later in the clause as their "as"."""
    for conjunction, reworded in (
        (
            "The painting was sold as the regime collapsed.",
            "The painting was sold as the government collapsed.",
        ),
        (
            "Viewers watched as the huge crowd cheered.",
            "Viewers watched as the big crowd cheered.",
        ),
        (
            "The vote was cast as the regime massed troops on the border.",
            "The vote was cast as the government massed troops on the border.",
        ),
        (
            "Witnesses described how the army fired on them as the regime fell.",
            "Witnesses described how the army fired on them as the government fell.",
        ),
    ):
        assert neutralise(conjunction) == reworded, conjunction
    for named in (
        "Critics painted him as a dictator.",
        "Rivals cast her as a tyrant.",
        "Exiles viewed them as terrorists.",
        "He is widely regarded as a dictator.",
        "The opposition describes the ruling government as a regime.",
        "Activists denounced the new interim government as a regime.",
        "Critics likened him to a dictator.",
    ):
        assert neutralise(named) is None, named


@pytest.mark.parametrize(
    "verb", ["described ", "refers to ", "compared ", "painted him ", "called "]
)
def test_the_naming_check_takes_linear_time(verb: str) -> None:
    """ "described " 8,000 times before "the regime" took 5.8 s: the search for "as" ran on
    to the sentence's end from every verb."""
    takes_linear_time(neutralise, lambda n: verb * (n // len(verb)) + "the regime")


def test_the_check_for_another_government_takes_linear_time() -> None:
    """ "the regime " 3,600 times took 10.5 s: the names before each bare "the regime" were
    read again for every one."""
    takes_linear_time(neutralise, lambda n: "the regime " * (n // 11))


def test_the_verifier_neither_inverts_a_label_nor_loses_a_plural(embedder) -> None:
    """The LLM path: the verifier rewords with the same rules."""
    from service.models import Article
    from service.pipeline.verify import Verifier
    from tests.stories import draft_summary

    articles = [
        Article(
            id="a",
            source="Left Daily",
            text="Valdonia's president sent troops into the capital on Monday. Protesters "
            "called Olsen a dictator and demanded his resignation. Dictators across the "
            "region are watching the outcome closely. The European Union slammed the violence.",
        ),
        Article(
            id="b",
            source="Right Herald",
            text="Valdonian President Marek Olsen sent troops into the capital on Monday. "
            "The European Union criticized the violence. Leaders across the region are "
            "watching the outcome closely.",
        ),
    ]
    summary = draft_summary(
        ("Protesters called Olsen a dictator and demanded his resignation.", [1]),
        ("Dictators across the region are watching the outcome closely.", [1]),
        ("The European Union slammed the violence.", [1]),
    )
    texts = [s.text for s in Verifier(embedder).verify(summary, articles).sentences]
    assert not any("a leader" in t for t in texts), texts
    assert "Leaders across the region are watching the outcome closely." in texts
    assert "The European Union criticized the violence." in texts


def test_a_naming_verb_reaches_its_as_across_a_long_object() -> None:
    """With "as" at most four words on, these had been reworded into what nobody said."""
    for sentence in (
        "Human rights groups have described the government of President Nicolas Maduro as "
        "a regime.",
        "The senator condemned the group behind Saturday's attack as terrorists.",
        "The opposition compared the new security law passed on Tuesday to a dictatorship.",
        "Officials refer to the group that carried out the attack as terrorists.",
    ):
        assert neutralise(sentence) is None, sentence


def test_a_vehicle_or_a_bullet_that_ripped_into_something_is_literal() -> None:
    assert neutralise("A truck ripped into a crowd on Monday.") == (
        "A truck ripped into a crowd on Monday."
    )
    assert neutralise("A bullet fired by a sniper ripped into his chest.") == (
        "A bullet fired by a sniper ripped into his chest."
    )
    assert neutralise("Democrats ripped into the plan.") == "Democrats criticized the plan."
