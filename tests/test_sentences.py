from service.pipeline.sentences import (
    is_caption,
    is_dated_caption,
    is_story_sentence,
    split_paragraph,
    split_sentences,
)


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "Mr. Smith met Dr. Jones in the U.S. capital on Monday. John F. Kennedy was cited."
    assert split_paragraph(text) == [
        "Mr. Smith met Dr. Jones in the U.S. capital on Monday.",
        "John F. Kennedy was cited.",
    ]


def test_quotes_stay_with_their_sentence() -> None:
    text = 'He said "the talks failed." Officials left the room at noon.'
    assert split_paragraph(text) == [
        'He said "the talks failed."',
        "Officials left the room at noon.",
    ]


def test_headings_and_datelines_are_not_sentences() -> None:
    text = "Strike at the port\n\nMonday, July 2, 2007\n\nWorkers walked out at the port today."
    assert [s.text for s in split_sentences("x", text)] == ["Workers walked out at the port today."]


def test_punctuation_only_chunks_do_not_break_the_splitter() -> None:
    assert split_paragraph("... And then it rained. Next came snow.") == [
        "...",
        "And then it rained.",
        "Next came snow.",
    ]


def test_list_markers_are_not_part_of_the_sentence() -> None:
    text = "Findings in the papers:\n\n    * In Sri Lanka the ground moved nearly 10 centimetres.\n• The rupture spread from south to north."
    sentences = [s.text for s in split_sentences("a", text)]
    assert sentences == [
        "In Sri Lanka the ground moved nearly 10 centimetres.",
        "The rupture spread from south to north.",
    ]


def test_datelines_and_run_in_dates_are_not_part_of_the_first_sentence() -> None:
    text = (
        "Saturday, January 15, 2005 TEXAS, US – A United States Army court martial found "
        "Army Spc. Charles Graner guilty of abusing prisoners.\n"
        "WASHINGTON (Reuters) - The Senate passed the bill on Monday.\n"
        "NATO said the talks would resume in May.\n"
        "Meadow Lake, Saskatchewan – The council said it donated $10,000 by mistake.\n"
        "Paris, Texas - a town of 25,000 - voted on Monday.\n"
        "(CNN) - Protests spread to six more states on Friday.\n"
        "(CNN)Patience with the closures is wearing thin in many towns.\n"
        "(Officials had warned of this in March.) The rules stayed in place.\n"
        "Scroll down for video Natalia Moon learned Tagalog to win a role on a sitcom."
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "A United States Army court martial found Army Spc. Charles Graner guilty of "
        "abusing prisoners.",
        "The Senate passed the bill on Monday.",
        "NATO said the talks would resume in May.",
        "The council said it donated $10,000 by mistake.",
        "Paris, Texas - a town of 25,000 - voted on Monday.",
        "Protests spread to six more states on Friday.",
        "Patience with the closures is wearing thin in many towns.",
        "(Officials had warned of this in March.)",
        "The rules stayed in place.",
        "Natalia Moon learned Tagalog to win a role on a sitcom.",  # the page's prompt is gone
    ]


def test_a_quotation_the_splitter_cut_is_joined_back() -> None:
    text = '"We will win. We have the votes," the senator said. The vote is on Friday.'
    assert split_paragraph(text) == [
        '"We will win. We have the votes," the senator said.',
        "The vote is on Friday.",
    ]
    # a quotation that runs on into the next paragraph (news style) is left as it was
    assert split_paragraph("“We will win. We have the votes. Nobody doubts it.") == [
        "“We will win.",
        "We have the votes.",
        "Nobody doubts it.",
    ]


def test_wire_datelines_with_a_place_or_date_are_stripped() -> None:
    text = (
        "KATHMANDU, Nepal (AP) — A Swiss climber found the bodies of two mountaineers.\n"
        "NEW YORK, May 18 (UPI) -- Crayola warned against using pencils as eyeliner.\n"
        "(CNN) A Detroit man pleaded not guilty on Friday to murder charges.\n"
        "The World Health Organization (WHO) Director said the outbreak was over.\n"
        "The Associated Press (AP) reported the vote count on Monday."
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "A Swiss climber found the bodies of two mountaineers.",
        "Crayola warned against using pencils as eyeliner.",
        "A Detroit man pleaded not guilty on Friday to murder charges.",
        "The World Health Organization (WHO) Director said the outbreak was over.",
        "The Associated Press (AP) reported the vote count on Monday.",
    ]


def test_furniture_and_photo_captions_are_not_story_sentences() -> None:
    for text in [
        "For a full recap of the night's big winners, click here.",
        "To subscribe to the newsletter, click below and enter your address.",
        "You can unsubscribe at any time.",
        "By signing up you agree to receive email newsletters from us.",
        "In this Sept. 26, 2006, file photo, knives are piled in a box at the store.",
        "Judge Aaron Persky is shown in this June 27, 2011 file photo.",
        "A: Before anything else, sign the back of the ticket.",
        "@gemmasolutions: Battery issue persists with the new phone.",
        "Updated | When the first humans left Africa, they got shorter.",
        "Updated at 9:23 a.m. to correct the name of the driver.",
        "Image: At the Palmyrene Gate, toxic gas brought death 1,700 years ago.",
        "Caption The Wisconsin governor announced Monday that he will drop out.",
        "Buy Photo Genesee County health official Jim Henry was among those calling for tests.",
        "Bill Cosby CREDIT: AP Photo/Brennan Linsley Bill Cosby performs at the theater.",
        "Read on for the backstage reactions of Jon Cryer, Claire Danes and others.",
    ]:
        assert not is_story_sentence(text), text
    for text in [
        "Police released a photo of the suspect on Monday.",
        "The senator signed up as a volunteer at the shelter in 2019.",
        "Officials said the photo was taken in this town last week.",
        "The CDC issued updated guidance on Tuesday, officials said.",
        "The caption on the photo named the wrong man, the paper said.",
        "Readers on the forum said the update drained the battery.",
    ]:
        assert is_story_sentence(text), text


def test_sentences_may_open_with_a_capital_of_any_script() -> None:
    german = (
        "Die Regierung hat entschieden. Übermorgen beginnt der Bau. Ärzte warnen ca. über 5 Tage."
    )
    assert split_paragraph(german) == [
        "Die Regierung hat entschieden.",
        "Übermorgen beginnt der Bau.",
        "Ärzte warnen ca. über 5 Tage.",
    ]
    russian = "Правительство приняло решение вчера. Завтра начнётся строительство моста."
    assert [s.text for s in split_sentences("ru", russian)] == [
        "Правительство приняло решение вчера.",
        "Завтра начнётся строительство моста.",
    ]


def test_chinese_and_japanese_split_on_their_full_stops() -> None:
    from service.pipeline.clean import clean_text

    # cleaning turns the full-width ！ and ？ into ! and ?, so both forms must split
    japanese = (
        "東京で大きな地震があった。気象庁によると、震源は東京湾だった！「大丈夫か？」と彼は聞いた。"
    )
    expected = [
        "東京で大きな地震があった。",
        "気象庁によると、震源は東京湾だった！",
        "「大丈夫か？」と彼は聞いた。",
    ]
    assert [s.text for s in split_sentences("ja", japanese)] == expected
    assert [s.text for s in split_sentences("ja", clean_text(japanese))] == [
        clean_text(s) for s in expected
    ]
    chinese = "北京今天下雨了。他说：“我们赢了。”然后离开了会场。速报。"
    assert [s.text for s in split_sentences("zh", chinese)] == [
        "北京今天下雨了。",
        "他说：“我们赢了。”",
        "然后离开了会场。",
    ]  # "速报。" ("news flash") is as short as a heading


def test_a_one_word_city_dateline_is_stripped() -> None:
    text = (
        "London, England — For the second time in two days, the crowds came out.\n"
        "INDEPENDENCE, Mo. — A church based in Independence could change its policies.\n"
        "Meanwhile, Senator Smith — who chairs the panel — said the vote would wait."
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "For the second time in two days, the crowds came out.",
        "A church based in Independence could change its policies.",
        "Meanwhile, Senator Smith — who chairs the panel — said the vote would wait.",
    ]


def test_a_stop_glued_to_the_next_sentence_still_ends_one() -> None:
    text = "He was arrested at a car wash last month.Kanasho Johns, 27, was charged on Friday."
    assert [s.text for s in split_sentences("a", text)] == [
        "He was arrested at a car wash last month.",
        "Kanasho Johns, 27, was charged on Friday.",
    ]
    kept = "The U.S.Army said troops from St.Louis were ready on Monday."
    assert [s.text for s in split_sentences("a", kept)] == [kept]


def test_a_dateline_without_spaces_and_the_archive_notice_are_not_story() -> None:
    text = (
        "WASHINGTON—The chairman of the committee said talks would go on this week. "
        'Crawls of supported "No More 404" sites. '
        "These crawls are part of an effort to archive pages as they are created and kept."
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "The chairman of the committee said talks would go on this week."
    ]


def test_a_short_line_with_no_verb_is_a_caption_not_a_sentence() -> None:
    for caption in [
        "The intended route of Flight 447.",
        "HMS Cornwall at Zeebrugge in 2006.",
        "Russell Square after the bombings.",
        "Hasib Hussain, 18, from Leeds.",
        "Interior of the church.",
        "Agustín Ross Balcony after the earthquake and tsunami.",  # accents are Latin script
        "Mike Flynn Offers to Testify in Exchange for Immunity.",  # a headline line
        # a date inside the noun phrase: "the July 7, 2005 bombings" is a noun
        "Ambulances at Russell Square, London after the July 7, 2005 bombings.",
    ]:
        assert is_caption(caption), caption
    for sentence in [
        "The rupture spread from south to north.",  # an irregular verb
        "Japan tops the U.S.",
        "No injuries or casualties have been reported.",
        "Tomorrow is a rest day for the Tour.",
        "Now, they plan to spread the word.",
        "It’s a whole lot more simple than that.",
        "Alcorn reportedly taught the girl.",
        "The airline's planes, jets and helicopters searched the ocean for wreckage.",  # long
        "Both men deny the charges.",  # a plural subject's verb, not in any list
        "Witnesses describe a loud bang.",
        "Officials estimate the damage at $2 million.",
        "Protesters at the embassy in London marched on July 7.",  # no determiner before it
        "This March marks the 20th anniversary of the war.",  # a month with no day: a time
        "This October brings the first snow in the Alps.",
        "Der Täter ist weiterhin flüchtig.",  # not English: not judged
        "Полиция задержала двух мужчин в центре Москвы.",
        "救援人员已经赶到现场。",
    ]:
        assert not is_caption(sentence), sentence
    text = (
        "The jet vanished over the Atlantic on Monday night.\n"
        "The intended route of Flight 447.\n"
        "The plane was carrying 216 passengers. The intended route of Flight 447."
    )
    # a caption on a line of its own is left out; inside a paragraph it is not judged
    assert [s.text for s in split_sentences("a", text)] == [
        "The jet vanished over the Atlantic on Monday night.",
        "The plane was carrying 216 passengers.",
        "The intended route of Flight 447.",
    ]


def test_photo_positions_players_bios_and_doubled_bylines_are_furniture() -> None:
    for furniture in [
        "Bahraini activist Zainab al-Khawaja (L) is greeted by Sumaiya Rajab after her release.",
        "CLOSE Four Reno dispensaries begin sales of recreational marijuana.",
        "Mark Joseph Stern covers courts and the law for Slate.",
        "Mark Joseph Stern Mark Joseph Stern wrote the piece on Monday.",
        "Megan Rapinoe, front, fends off Alyssa Kleiner in the second half at SoccerPlex.",
        "A Ku Klux Klansman, left, uses an American flag to fend off counter protesters.",
        "NBC10's Lu Ann Cahn has the details.",
        "Image from the Sprayable Energy campaign.",
        "Photo by: William Yap.",
        "Follow her on Twitter: @hollyvhays.",
        "Follow The Knot on Twitter and Instagram @TheKnot.",
        "Contact Tracey Kaplan at 408-278-3482.",
        "Contact us at editors@time.com.",
        "Please turn on JavaScript.",
        "Advisory: This film contains sexual situations.",
        "Starring Matt Damon and Cecile De France.",
        "In English and in French with English subtitles.",
        "Troops used live ammunition on protesters [Reuters] Gaddafi has appeared on television.",
        "The 2017 guidelines are also provided below for reference.",
    ]:
        assert not is_story_sentence(furniture), furniture
    for story in [
        "Sen. John Smith (R) voted against the bill on Tuesday.",  # a party, not a position
        "Raheem Sterling (right) was pictured with team-mate Jordon Ibe earlier this season.",
        "Close to 100 people died in the flood on Monday.",
        "The company covers costs for Medicare patients.",
        "Trump said Trump would win the state.",
        "Medicare covers the cost of the procedure for Americans over 65.",
        "The Affordable Care Act covers preventive care for Medicaid patients.",
        "The truck carried 50 liters (L) of fuel across the border.",
        "Olivia, center, was killed in the crash on Monday.",  # a position only in captions
        "Indeed, right in Syria archaeologists have found early evidence of chemical warfare.",
        "The team has the details of the plan but will not release them.",
        "Image quality improved after the update, the company said.",
        "Follow-up tests found no trace of the virus.",
        "Police want to contact anyone who was at the station on Monday.",
        "Contact was lost at 1:30 a.m. local time, about an hour after takeoff.",
        "Pictures from the scene showed a burned-out car near the embassy.",
        "Images from the Hubble telescope show the galaxy in unprecedented detail.",
        "The film, in Farsi with English subtitles, won the Oscar for best foreign film.",
    ]:
        assert is_story_sentence(story), story
    assert split_sentences("a", "-- The film opens on Friday in New York.")[0].text == (
        "The film opens on Friday in New York."  # a list marker of two hyphens
    )
    # print's capitals on a first word, and a pointer to the page's layout
    text = "THE identity of the killer may have been found. The camera took video (see below)."
    assert [s.text for s in split_sentences("a", text)] == [
        "The identity of the killer may have been found.",
        "The camera took video.",
    ]
    assert split_sentences("a", "NASA said the launch would go ahead.")[0].text.startswith("NASA")
    text = "Gaddafi spoke on Tuesday. LIVE BLOG On Monday, Hague said Gaddafi had fled."
    assert [s.text for s in split_sentences("a", text)] == [
        "Gaddafi spoke on Tuesday.",
        "On Monday, Hague said Gaddafi had fled.",  # a web page's label run into it
    ]


def test_datelines_with_an_agency_or_a_double_dash_are_not_part_of_the_sentence() -> None:
    for paragraph, first in [
        (
            "OSAN AIR BASE, South Korea (AFNS) -- South Korea and U.S. forces held a drill.",
            "South Korea and U.S. forces held a drill.",
        ),
        (
            "IDAHO FALLS, Idaho - The parents believe the boy was abducted.",
            "The parents believe the boy was abducted.",
        ),
        (
            "— A judge’s act of compassion has a former soldier promising to change.",
            "A judge’s act of compassion has a former soldier promising to change.",
        ),
    ]:
        assert split_sentences("a", paragraph)[0].text == first


def test_a_slash_before_an_abbreviation_and_a_glued_quotation_split_right() -> None:
    text = (
        "Lt. Gen. Thomas Bergeson, the South Korea/U.S. Combined Forces Command commander, "
        "explained the exercise.\n"
        'The door closed, and the judge was locked up with him."I had never been to jail '
        'before," Olivera said.'
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "Lt. Gen. Thomas Bergeson, the South Korea/U.S. Combined Forces Command commander, "
        "explained the exercise.",
        "The door closed, and the judge was locked up with him.",
        '"I had never been to jail before," Olivera said.',
    ]


def test_a_closing_quotation_glued_to_the_next_sentence_and_a_slashed_initial() -> None:
    text = 'The minister called the report "unacceptable."A spokesman declined to comment.'
    assert [s.text for s in split_sentences("a", text)] == [text]  # not split into a quote
    assert split_paragraph("The car had no A/C. The driver said it was hot.") == [
        "The car had no A/C.",
        "The driver said it was hot.",
    ]


def test_a_present_tense_wire_caption_before_its_full_date_is_not_a_sentence() -> None:
    # 11 of 250 Multi-News summaries quoted such a caption as a report's claim
    for text in [
        "Italian Premier Silvio Berlusconi sits in the lower chamber to attend a confidence "
        "vote, in Rome, Friday, Oct. 14, 2011.",
        "People pray before placing flowers at a memorial to the teacher and student who were "
        "shot to death Monday, in San Bernardino, Calif., Tuesday, April 11, 2017.",
        "A police officer watches as a cruiser is removed from Forest Road, Wednesday, Sept. "
        "2, 2015 in Millis, Mass.",
        "The closed window of the papal residence in Castelgandolfo, Saturday, March 23, 2013.",
    ]:
        assert is_dated_caption(text), text
        assert not is_story_sentence(text), text
    assert not is_story_sentence("This Monday, May 4, 2015 photo shows police tape at a scene.")
    for text in [
        "Reid checked herself in on Tuesday, December 9, 2008.",  # the past: what happened
        "Fresh riots were reported in Greece on Saturday December 13 2008 in protest.",
        "According to the City Attorney's office, the case had not been submitted as of "
        "Tuesday, February 3, 2009.",
        "The prosecution contends Simpson planned the murders, then shot Flynn on Easter "
        "Sunday, April 8, 2012, killing her.",
        "The senator speaks at the town hall on Tuesday in Sun Lakes.",  # no full date
        "Steve Jobs died at his home in Palo Alto on Wednesday, Oct. 5, 2011.",
        "Obama won the election on Tuesday, Nov. 6, 2012, with 332 electoral votes.",
        "The funeral will be held at 10 a.m. Saturday, Oct. 15, 2011, at First Baptist Church.",
        "The deadline for applications is Friday, Oct. 14, 2011.",
        "The trial begins Monday, Jan. 9, 2012, in federal court in Boston.",  # a schedule
        "The law takes effect on Sunday, Jan. 1, 2017, and covers 2 million workers.",
    ]:
        assert not is_dated_caption(text), text
        assert is_story_sentence(text), text


def test_this_photo_shows_is_a_caption() -> None:
    for text in [
        "This photo provided by the Iowa State Patrol shows the scene of a 25-vehicle pileup.",
        "This undated photo provided by Husky Homestead shows Banjo, a dog that was injured.",
        "This image shows an ancient Egyptian child from the Dakhleh Oasis.",
    ]:
        assert not is_story_sentence(text), text
    assert is_story_sentence("This photo was taken by a bystander who shows no remorse.")


def test_a_photo_from_or_released_by_someone_is_a_caption_and_crawl_notes_are_furniture() -> None:
    for text in [
        "A photo from the 1998 excavation, with the brachiosaur foot bones below a tail.",
        "A sketch released of an unidentified woman who was hit by two cars in 1990.",
        "An undated handout photo from the 1998 dig, with the bones of a tail.",
        "Web wide crawl with initial seedlist and crawler configuration from March 2011.",
        "The scope of the crawl was not limited except for a few manually excluded sites.",
    ]:
        assert not is_story_sentence(text), text
    for text in [
        "An image from the Cassini spacecraft provides evidence of rainfall on Titan.",
        "A photo of the suspect was released by police on Monday.",
        "A photo released by police shows the suspect wearing a red sweatshirt.",
        "A photograph taken by Joe Rosenthal in 1945 sold for $500,000 on Monday.",
        "Police crawled through the rubble on Monday.",
    ]:
        assert is_story_sentence(text), text


def test_a_video_players_buttons_are_not_part_of_the_first_sentence() -> None:
    text = "skip in Skip x Embed x Share The discovery of two slain children was called a tragedy."
    assert [s.text for s in split_sentences("a", text)] == [
        "The discovery of two slain children was called a tragedy."
    ]


def test_dotted_initials_after_said_open_a_speakers_name_not_a_sentence() -> None:
    assert split_paragraph(
        "The rule is fair, said D.C. Councilmember Mary Cheh. Others agreed."
    ) == [
        "The rule is fair, said D.C. Councilmember Mary Cheh.",
        "Others agreed.",
    ]
    assert split_paragraph('"We played hard," said T.J. He scored 20 points.') == [
        '"We played hard," said T.J.',
        "He scored 20 points.",
    ]
    assert split_paragraph("He moved to Washington, D.C. The mayor agreed.") == [
        "He moved to Washington, D.C.",
        "The mayor agreed.",
    ]


def test_sentences_inside_a_quotation_opened_before_them_are_marked_quoted() -> None:
    paragraph = (
        "The commissioner spoke on Monday. “It's an emotional issue. The issue brought forth "
        "by the players is a real issue. We need to have serious conversations about it. We "
        "will keep talking to them. I don't know where it ends.” He left after that."
    )
    sentences = split_sentences("a", paragraph)
    assert [s.quoted for s in sentences] == [False, False, True, True, True, True, False]
    assert sentences[2].text == "The issue brought forth by the players is a real issue."
    # straight quotes turn the state over; a quotation closed in its own sentence opens nothing
    text = 'Police said "the road is shut" on Monday. "We are sorry about the road. We will '
    text += "pay for the damage to every car. The road will open again next week. The crews "
    text += 'work at night. The work will take a few more days." The mayor spoke later.'
    quoted = [s.quoted for s in split_sentences("b", text)]
    assert quoted == [False, False, True, True, True, True, False]
    # an inch mark opens no quotation
    tall = "The suspect is 6'2\" tall, police said on Monday. He was last seen near the station. "
    tall += "Officers searched the area all night. The search went on for a week."
    assert not any(s.quoted for s in split_sentences("d", tall))
    # each paragraph starts outside a quotation
    assert not any(s.quoted for s in split_sentences("c", "“We are ready.\nThe bill passed."))


def test_a_fullwidth_full_stop_ends_a_japanese_sentence() -> None:
    text = "本法は公布の日から施行する．附則は別に定める．"
    assert [s.text for s in split_sentences("a", text)] == [
        "本法は公布の日から施行する．",
        "附則は別に定める．",
    ]
