from service.pipeline.neutrality import (
    find_loaded_terms,
    is_commentary,
    loaded_terms,
    neutralise,
    opens_dangling,
    sums_up,
    without_filler_opener,
)


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
            assert entry.term in find_loaded_terms(f"The officials {form} it today."), form
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
        "Granholm slammed Senate Republicans on Sunday.",
        'Davis then blasted "the current leadership" in Austin.',
        "Trump signs the order and blasts Democrats over the budget.",
        "He blasted away at the plan on Monday.",
    ):
        assert find_loaded_terms(criticism), criticism
        assert neutralise(criticism) is None, criticism
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
