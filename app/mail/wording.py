"""How people ask, without legal words: the word classes the intent reader combines.

The intent reader (`intents.py`) reads a request as parts: an action ("delete", "get rid
of", "stop") whose object is the writer's own data, account or mail ("my account", "me"),
with the words around it that change its sense ("not", "until", "how do I"). This file
lists, per language, the words of each part. Translators extend it like `cues.py`.

Each class is one string of comma-separated stems and phrases. Write them lower-case
without accents, as `intents.normalise` leaves them ("löschen" is "loschen", "usuń" is
"usun", "ł" is "l"). A stem matches every word that starts with it ("usun" finds "usunac",
"usuniecie", "usuncie"); end it with `$` to match the word exactly ("me$"), or start it
with `*` to match the end of a compound ("*konto" finds "Kundenkonto"). Stems of five
letters or more of the actions and objects also match with one typo ("delet" finds
"delte"). A phrase of several words ("get rid of") matches those words in a row. German
and Dutch past participles ("geblokkeerd") are found by their stem, and the pronouns
Spanish and Italian attach to verbs ("mandarme") by `CLITICS`.

The classes:
- actions: erase; close (an account); keep (store, retain); restrict (freeze, block); stop;
  use (process); rectify (correct, update); wrong (incorrect), right ("klopt": wrong with
  a "not"), fresh (new, old, moved: a detail that changed); access (copy, send, see);
  receive (get, obtain: "can I get" is a request); export; format (csv, another provider);
  sell, optout, sensitive ("sensitive personal information": the CCPA's limit); object,
  withdraw, consent; unsub (a newsletter matter); alone ("leave me alone").
- objects: data, account, detail (name, address: what gets corrected), everything, pron
  ("it", "them": the writer's data when an earlier sentence named it), contact (email,
  call, newsletter), list (mailing list), marketing, subscription (a paid plan), test
  ("Testdaten", "datos de prueba": nobody's personal data).
- who: me (the writer as object), mine (my), aboutme ("about me"), self (I, and first
  person verbs where the pronoun is dropped), we (an organisation's voice), theirs (her,
  his: a client's data, when an agent writes), agent ("on behalf of"; for the
  deceased, an heir's or executor's word or a death certificate, not the death alone).
- around: neg (not, before the verb), negafter (after it: "löschen Sie nichts"), only
  ("not only"), more ("keine Werbung mehr"), nolonger ("no longer", "ya no": a stop
  only before the mail or a wish), want, question (what, which), pending
  (until, while: a restriction's time frame), before ("before I close": a side clause),
  howto, askhow (a how-to question anywhere), how (a question ending "…, how?"), mayi
  ("can I", "is it possible to"), howcome ("how come you still have my data?"
  complains, it does not ask how).
- boilerplate: a disclaimer's words ("intended recipient", "notify the sender"): such a
  sentence says nothing about what the writer wants.
- look-alikes (`_LOOKALIKES`, added to each language's classes): done and confirm (a
  deletion reported: "wurde", "ha sido", "cuenta eliminada", "Bestätigung"), never ("auf
  keinen Fall"), if, someday and possible ("if I ever…?", but "if possible", "if so"),
  please ("can you": a condition that still asks), third (he, she: someone else's data),
  yours ("ditt konto": a notice), billing (a company's billing details), which and
  relative (relative pronouns), sharing (the "share" of sell), again ("no me volváis a
  llamar"), forme ("pour moi"), relation ("de mi exmarido": someone else), where ("Dove si modifica?": a how-to, unless it asks
  to see or get the writer's data), recant ("ignore my last mail", "anders überlegt": an
  earlier request taken back), login ("login email", "e-mail di accesso": the account's
  sign-in, not a record to correct; also 2FA and "as admin": a role), useless ("not much use to me": a noun, no "use"),
  broken ("der Link geht nicht": a sentence that says something does not work forbids
  nothing), fate ("what happens to my data?": the next question carries its condition),
  domain ("nom de domaine": a website's name, not a person's), child ("mijn zoon": a
  relative a parent acts for), keyword ("Rispondi CANCELLAMI": the word a mailing asks
  to be sent back), greeting ("Sehr geehrte Mandanten": the readers greeted, no client),
  recipients ("komu je przekazaliście": who got the data, an access question), and
  `not_` classes
  ("not_sell": Spanish "sale", appears): a word of the mail's language that the English
  read beside it takes for another class, which `not_` takes away.
"""

from typing import Final

Words = dict[str, str]  # class -> comma-separated stems and phrases

_EN: Words = {
    "erase": (
        "to be forgotten, delet, remov, eras, wipe, purg, get rid of, forget$, destroy, "
        "scrub, nuke, take me off, take off, throw away, throw out, bin$, get me out, "
        "out of your system, out of your database, gone$"
    ),
    "close": "close$, closing, terminat, cancel, deactivat",
    "keep": "kept$, keep, retain, store, hold on to",
    "restrict": (
        "restrict, limit, freez, block$, pause, suspend, on hold, hold my, hold all, "
        "park$"
    ),
    "stop": (
        "hold off, refrain from, stop, quit, cease, no more, no longer, never$, opt out "
        "of, refuse, object to"
    ),
    "use": (
        "do anything with, doing anything with, do nothing with, use$, used$, touch, "
        "using, process, usage"
    ),
    "rectify": (
        "correction, correct$, correcting, fix, updat, amend, chang, rectif, edit$, "
        "modif"
    ),
    "wrong": (
        "not right, isn t right, not correct, instead of, wrong, incorrect, inaccurat, "
        "outdated, out of date, misspel, typo$, mistyp, should be, should read, "
        "mistake, error in"
    ),
    "right": "right$, accurate$",
    "fresh": "changed$, new$, old$, previous, moved$, married",
    "access": (
        "copy$, copies, send me, see$, view, show me my, show me what, show me all, "
        "show me the, show what, access, obtain, receive, look at, get a copy, to know, "
        "know what, know which, find out, tell me, give me, provide"
    ),
    "receive": "get$, have$, receive, obtain, be sent, request",
    "export": (
        "export, download, transfer, move$, port$, migrat, transmit, take my data"
    ),
    "format": (
        "switching to, switch provider, competitor, as a file, csv, json, xml$, machine "
        "readabl, machine readable, spreadsheet, another provider, another service, new "
        "provider, other provider, structured, zip$, format"
    ),
    "sell": "sell, sale$, sold$, selling, share, sharing, broker",
    "optout": "opt out, optout, opt me out",
    "sensitive": "sensitive",
    "object": "object$, objecting, objection",
    "withdraw": "withdraw, revoke, retract",
    "consent": "consent",
    "unsub": "unsubscrib, opt me out of, unsub$",
    "alone": "leave me alone",
    "data": (
        "activity, data$, info$, infos$, information, personal, details, records, "
        "history, everything you, profile, *data, database"
    ),
    "account": "account, acct, profile, login, user$",
    "detail": (
        "title, company, email$, e mail$, name$, surname, address, email address, "
        "phone, number, birth, birthday, spelling, spelt, spelled"
    ),
    "everything": "everything, all of it, all$, entire, whole, completely",
    "pron": "it$, them$, this$, both$, anything$, those$",
    "contact": (
        "write to me, writing to me, email, mail$, mails$, mailing, sending, send me, "
        "contact, call$, calls$, calling, call me, text me, texting, message, spam, "
        "newsletter, promo, sms$, emailing"
    ),
    "list": "list$, lists$, mailing list, distribution, newsletter",
    "marketing": (
        "marketing, advertis, ads$, profiling, targeted, promotion, commercial"
    ),
    "subscription": "membership, subscription, plan$, trial",
    "test": "test$, tests$, testing, dummy, sample, demo",
    "me": "to be forgotten, me$, myself",
    "mine": "my$, mine$, me$, myself",
    "aboutme": "about me$, on me$, of me$, about myself, regarding me$",
    "self": "i$, i m, i d, i ve, i ll",
    "we": "we$, our$, us$, ours$",
    "theirs": "her$, his$, their$, hers$",
    "agent": (
        "on behalf of, acting for, my client, our client, power of attorney, "
        "authorized agent, authorised agent"
    ),
    "neg": (
        "don t, do not, dont$, not$, no$, never$, can t, cannot, couldn t, unable, won "
        "t, doesn t, didn t, isn t, wasn t"
    ),
    "negafter": "nothing$",
    "only": "only$, just$",
    "more": "more$, anymore, any more, again$",
    "nolonger": "no more, no longer, never$",
    "want": "i demand, request$, ask you to, hereby, want, wish, like to, would like",
    "question": "what$, which$, whats$, what s$",
    "pending": (
        "for now, for the time being, temporarily, while you, while the, while this, "
        "while my, while it, whilst, until, till$, meanwhile, but don t delete, but "
        "keep"
    ),
    "before": "thanks for, thank you for, before$, after i, once i, when i, since i",
    "howto": (
        "how do we, how can we, how should we, how do i, how can i, how to$, how would "
        "i"
    ),
    "askhow": (
        "how do i, how can i, how do we, how can we, how should we, how would i, how "
        "should i"
    ),
    "how": "how$",
    "mayi": "is it possible to, can i$, could i$, may i$",
    "howcome": "how come",
    "boilerplate": (
        "confidential, privileged, intended recipient, notify the sender, received in "
        "error, received this in error, received it in error"
    ),
}

_DE: Words = {
    "erase": (
        "nehmt mich, nehmen sie mich, vergessen werden, losch, loesch, entfern, "
        "vergess, vergiss, tilg, weg damit, vernicht, streich"
    ),
    "close": "schliess, kundig, deaktivier, auflos",
    "keep": "behalt, aufbewahr, speicher, behalten",
    "restrict": (
        "einschrank, schranken sie, schrankt, einschraenk, sperr, beschrank, begrenz, "
        "pausier, aussetz"
    ),
    "stop": (
        "hort auf, hoert auf, horen sie auf, hoeren sie auf, aufhor, aufhoer, "
        "unterlass, einstellen$, einzustellen, keine mehr, nicht mehr, stopp, "
        "verweiger, lehne, nicht weiter"
    ),
    "use": (
        "damit machen, damit tun, etwas damit, nutz, verwend, verarbeit, benutz, "
        "gebrauch"
    ),
    "rectify": (
        "korrigier, berichtig, aender, aktualisier, richtigstell, anpass, korrektur, "
        "andern$, anderung, geandert"
    ),
    "wrong": (
        "stimmt nicht, nicht richtig, richtig ist, korrekt ist, richtig lautet, falsch, "
        "fehlerhaft, unrichtig, veraltet, nicht korrekt, tippfehler"
    ),
    "right": "stimmt, stimmen",
    "fresh": "geandert, neue, alte$, alten$, umgezogen, geheiratet",
    "access": (
        "kopie, auskunft, zusend, zuschick, schick, send, einsehen, einsicht, sehen, "
        "erfahren, wissen, mitteil, ubersicht, uebersicht, bereitstell, zukommen, "
        "aufstellung, auflistung, auflist"
    ),
    "receive": "bekomm, erhalt, krieg, haben$",
    "export": (
        "*export, export, herunterlad, download, ubertrag, uebertrag, mitnehm, umzieh, "
        "ubermittl"
    ),
    "format": (
        "anbieterwechsel, anbieter wechseln, zip, als datei, csv, json, xml$, "
        "maschinenlesbar, anderen anbieter, neuen anbieter, datei, format"
    ),
    "sell": "verkauf, verkauft, weitergeb, weitergab, teilen",
    "optout": "opt out",
    "object": "widersprech, widerspreche, widerspruch",
    "withdraw": "widerruf, zuruckzieh, zurueckzieh, entzieh",
    "consent": "einwilligung, zustimmung, einverstandnis",
    "unsub": "abmeld, abbestell, austrag",
    "alone": "lasst mich in ruhe, lassen sie mich in ruhe",
    "data": (
        "daten$, *daten, informationen, angaben, infos$, alles uber mich, datensatz, "
        "profil, datenbank"
    ),
    "account": "konto, *konto, account, profil, zugang, kundenkonto",
    "detail": (
        "firma, titel, *adresse, *name, name$, namen$, nachname, adresse, anschrift, "
        "geburt, telefon, schreibweise"
    ),
    "everything": "alles, alle$, komplett, vollstandig, vollstaendig, ganz, samtlich",
    "pron": "das$, dies$, es$, sie$, diese$, alles$",
    "contact": (
        "mail, e mail, schreib, zusend, schick, kontakt, anruf, anrufe, newsletter, "
        "werbung, werbe, nachricht, sms$, post$, rufen$, ruft$"
    ),
    "list": "*liste, liste, verteiler, mailingliste, newsletter",
    "marketing": "werbung, werbe, marketing, profiling, werbezweck, angebote$",
    "subscription": "mitgliedschaft",
    "test": "test$, testdaten$, testdatensatz, versuch, dummy, demo",
    "me": "vergessen werden, mich$, mir$",
    "mine": "mein, mich$, mir$",
    "aboutme": (
        "uber mich$, ueber mich$, von mir$, zu meiner person, mich betreff, zu mir$"
    ),
    "self": "ich$",
    "we": "wir$, unser, uns$",
    "theirs": (
        "ihre$, ihrer$, ihren$, ihres$, seine$, seiner$, seinen$, seines$, deren$, "
        "dessen$"
    ),
    "agent": "namens$, in vollmacht, im auftrag, mandant, vollmacht",
    "neg": "nicht$, kein, nie$, niemals",
    "negafter": "nicht$, nichts$",
    "only": "nur$",
    "more": "mehr$",
    "nolonger": "keine mehr, nicht mehr, nicht weiter",
    "want": (
        "verlang, beantrag, ersuch, fordere, mocht, moecht, will$, wunsch, wuensch, "
        "mochte"
    ),
    "question": "was$, welche, wie viel",
    "pending": (
        "vorubergehend, voruebergehend, in der zwischenzeit, bis dahin, solange, bis$, "
        "wahrend, waehrend, vorerst, vorlaufig, aber nicht losch"
    ),
    "before": "danke furs, danke fur das, bevor, ehe ich, nachdem ich, wenn ich",
    "howto": (
        "wie kann ich, wie lasst sich, wie loesche ich, wie losche ich, wie exportiere "
        "ich, wie andere ich"
    ),
    "askhow": (
        "wie kann ich, wie konnen wir, wie finde ich, wie finden wir, wie mache ich, "
        "wie machen wir, wie gehe ich, wie lasst sich, wie losche ich, wie loesche ich"
    ),
    "how": "wie$",
    "mayi": "ist es moglich, ist es moeglich, kann ich$, konnte ich, darf ich",
    "howcome": "wie kann es sein, wieso",
    "boilerplate": (
        "vertraulich, irrtumlich erhalten, den absender, richtige adressat, falschen "
        "adressat"
    ),
}

_FR: Words = {
    "erase": (
        "etre oubli, supprim, suppression, effac, oubli, retir, detrui, virez$, virer$"
    ),
    "close": "ferm, desactiv, resili, clotur",
    "keep": "conserv, gard",
    "restrict": "limit, restreind, restrict, bloqu, geler, suspend, mettre de cote",
    "stop": "arret, cessez, cesser, ne plus, plus de, plus jamais, stop, refuse",
    "use": "faire quoi, en faire, utilis, trait, exploit, usage, servir$",
    "rectify": "corrig, rectifi, modifi, mettre a jour, mise a jour, chang",
    "wrong": (
        "erreur, le bon$, la bonne$, mal orthographi, n est pas correct, au lieu de, "
        "errone, incorrect, faux, fausse, inexact, perime, obsolete, faute"
    ),
    "right": "juste$, exact$, exacte$",
    "fresh": "j ai change, nouvel, nouveau, ancien, demenag",
    "access": (
        "copie, envoy, voir$, consult, acces, obtenir, savoir, connaitre, communiq, "
        "transmett, recevoir"
    ),
    "receive": "obten, obtien, recev, recoi, avoir$",
    "export": "export, telecharg, transfer, recuper",
    "format": (
        "changer de fournisseur, changement de fournisseur, zip, en fichier, csv, json, "
        "xml$, lisible par machine, autre fournisseur, autre service, fichier, format"
    ),
    "sell": "vend, vente, partag, revend",
    "optout": "opt out",
    "object": "m oppose, opposition, oppose",
    "withdraw": "retir, revoqu",
    "consent": "consentement, accord$, autorisation",
    "unsub": "desabonn, desinscri",
    "alone": "laissez moi tranquille, fichez moi la paix",
    "data": (
        "donnees, informations, infos$, coordonnees, renseignements, profil, "
        "historique, fichier, base de donnees"
    ),
    "account": "compte, profil",
    "detail": (
        "societe, entreprise, titre, poste$, courriel$, *adresse, nom$, prenom, "
        "adresse, naissance, telephone, orthographe"
    ),
    "everything": (
        "tout, toutes, tous, integralite, ensemble, entier, complet, quoi que ce soit"
    ),
    "pron": "les$, le$, la$, tout$, cela$, ca$",
    "contact": (
        "ecri, mail, e mail, courriel, envoi, envoy, contact, appel, newsletter, "
        "message, sms$, publicit, promotion, prospection"
    ),
    "list": "liste, newsletter, diffusion",
    "marketing": "marketing, publicit, prospection, profilage, commercial, promotion",
    "subscription": "abonnement, inscription",
    "test": "test$, tests$, essai, factice, demo",
    "me": "etre oubli, moi$, m$, me$",
    "mine": "mon$, ma$, mes$, moi$, me$, m$",
    "aboutme": "sur moi$, de moi$, me concern, a mon sujet, me concernant",
    "self": "je$, j$",
    "we": "nous$, notre$, nos$",
    "theirs": "ses$, son$, sa$, leurs$, leur$",
    "agent": (
        "au nom de, pour le compte, mon client, notre client, ma cliente, notre "
        "cliente, mandat$, procuration"
    ),
    "neg": "ne$, pas$, plus$, jamais, n$",
    "negafter": "rien$",
    "only": "seulement, que$",
    "more": "plus$",
    "nolonger": "ne plus, plus de, plus jamais",
    "want": "je demande, exige, sollicite, veux, voudrais, souhait, desir",
    "question": "quel, quelles, quels, quoi, qu est ce, qu avez vous",
    "pending": (
        "pour l instant, temporairement, provisoirement, pendant, jusqu, en attendant, "
        "le temps, sans supprim"
    ),
    "before": (
        "merci d avoir, avant$, avant de, avant que, apres avoir, quand je, lorsque je"
    ),
    "howto": "comment$",
    "askhow": (
        "comment puis je, comment pouvons nous, comment faire, comment on fait, comment "
        "faut il"
    ),
    "how": "comment$",
    "mayi": "est il possible, puis je, pourrais je, est ce que je peux",
    "howcome": "comment se fait il, comment est ce possible",
    "boilerplate": (
        "confidentiel, l expediteur, destinataire prevu, recu par erreur, recu ce "
        "message par erreur"
    ),
}

_ES: Words = {
    "erase": (
        "ser olvidad, saqu, sacar$, sacadme, borr, elimin, suprim, supresion, olvid, "
        "quit, destrui, remov"
    ),
    "close": "cancel, cerrar, cierr, desactiv, dar de baja, den de baja",
    "keep": "conserv, guard, manten",
    "restrict": "limit, restring, restric, bloque, congel, suspend",
    "stop": (
        "dejad de, deja de, dejen de, deje de, dejar de, paren, no mas, ya no, nunca "
        "mas, basta, me niego, rechazo"
    ),
    "use": "hacer nada con, hagan nada, us$, usar, usen, utiliz, trat, proces",
    "rectify": "actualic, correcc, corrig, correg, rectific, modific, actualiz, cambi",
    "wrong": (
        "esta mal, no es correcto, lo correcto es, en vez de, en lugar de, erroneo, "
        "erronea, incorrect, equivocad, desactualiz, mal escrit, inexact"
    ),
    "right": "correcto, bien$",
    "fresh": "cambiado, he cambiado, nuevo, nueva, antigu, me mude",
    "access": (
        "mand, copia, envi, ver$, consult, acceso, acceder, obtener, saber, conocer, "
        "recibir, mostr"
    ),
    "receive": "obten, recib, tener$",
    "export": "export, descarg, transfer, traslad, llevar, portar",
    "format": (
        "cambiar de proveedor, cambio de proveedor, zip, como archivo, csv, json, xml$, "
        "lectura mecanica, otro proveedor, otro servicio, archivo, formato"
    ),
    "sell": "vend, venta, compart, ced",
    "optout": "opt out, exclusion voluntaria",
    "object": "me opongo, oposicion, oponerme",
    "withdraw": "retir, revoc, revoqu",
    "consent": "consentimiento, autorizacion",
    "unsub": "darme de baja, desuscrib, desinscrib",
    "alone": "dejenme en paz, dejadme en paz",
    "data": "datos, informacion, info$, historial, perfil, base de datos",
    "account": "cuenta, perfil, usuario",
    "detail": (
        "empresa, cargo$, correo$, nombre, apellido, direccion, nacimiento, telefono, "
        "domicilio"
    ),
    "everything": "todo, todos, todas, completa, entera, totalidad",
    "pron": "lo$, los$, las$, todo$, eso$",
    "contact": (
        "escrib, mand, correo, mail, email, envi, contact, llam, boletin, newsletter, "
        "mensaje, sms$, publicidad, promocion"
    ),
    "list": "lista, boletin, newsletter, envios",
    "marketing": (
        "marketing, publicidad, mercadotecnia, perfilado, comercial, promocion"
    ),
    "subscription": "suscripcion, registro, renov",
    "test": "prueba, pruebas, test$, ficticio, demo",
    "me": "ser olvidad, me$",
    "mine": "mi$, mis$, me$, mio$, mia$, mios$, mias$",
    "aboutme": "sobre mi$, de mi$, acerca de mi$",
    "self": (
        "yo$, lo uso, la uso, los uso, las uso, quiero, solicito, pido$, necesito, "
        "deseo$, quisiera"
    ),
    "we": "nosotros, nuestr, nos$",
    "theirs": "sus$, su$",
    "agent": (
        "en nombre de, en representacion, mi cliente, nuestro cliente, nuestra cliente, "
        "poder notarial"
    ),
    "neg": "no$, ni$, nunca, jamas",
    "negafter": "nada$",
    "only": "solo$, solamente",
    "more": "mas$",
    "nolonger": "no mas, ya no, nunca mas",
    "want": "solicito, pido$, necesito, pretendo, quiero, deseo, quisiera, gustaria",
    "question": "cuales, cual$, cuanta, que datos, que informacion",
    "pending": (
        "por ahora, de momento, temporalmente, mientras, hasta, entretanto, sin borrar"
    ),
    "before": "antes de, despues de, cuando",
    "howto": "como$",
    "askhow": (
        "como puedo, como podemos, como hago, como hacemos, como se hace, como borro"
    ),
    "how": "como$",
    "mayi": "es posible, puedo$, podria$",
    "howcome": "como es posible, como puede ser",
    "boilerplate": (
        "confidencial, al remitente, destinatario previsto, recibido por error, "
        "recibido este mensaje por error"
    ),
}

_IT: Words = {
    "erase": (
        "essere dimenticat, cancell, elimin, rimuov, rimozion, dimentic, togli, "
        "distrugg, levat, levar"
    ),
    "close": "chiud, chiusura, disattiv, disdic",
    "keep": "conserv, tenere, mantene",
    "restrict": "limit, restring, bloc, congel, sospend",
    "stop": "smett, smettete, basta, non piu, mai piu, interromp, stop, rifiut",
    "use": "usat, usare, usiate, usino, fare nulla, farne, usar, utilizz, tratt, uso$",
    "rectify": "corregg, correzion, rettific, modific, aggiorn, cambi",
    "wrong": (
        "non e giusto, invece di, errore, errat, sbagliat, inesatt, scorrett, non "
        "corrett, obsolet, vecchi"
    ),
    "right": "giusto, corretto, corretta",
    "fresh": "cambiato, nuovo, nuova, vecchio, vecchia, trasferit",
    "access": (
        "copia, invi, mandat, vedere, consult, accesso, acceder, ottener, sapere, "
        "conoscere, ricever, mostr"
    ),
    "receive": "avere$, ricev, otten",
    "export": "esport, scaric, trasferi, portare, trasmett",
    "format": (
        "cambiare fornitore, cambio di fornitore, altra piattaforma, zip, come file, "
        "csv, json, xml$, leggibile, altro fornitore, altro servizio, file$, formato"
    ),
    "sell": "vend, vendita, condivid, ced",
    "optout": "opt out",
    "object": "mi oppongo, opposizione, oppormi",
    "withdraw": "revoc, ritir",
    "consent": "consenso, autorizzazione",
    "unsub": "disiscriv, disiscrizion",
    "alone": "lasciatemi in pace, lasciatemi stare",
    "data": "dati$, dato$, informazioni, info$, profilo, cronologia, database",
    "account": "account, profilo, utenza, conto$",
    "detail": "azienda, ruolo, nome$, cognome, indirizzo, nascita, telefono",
    "everything": "tutto, tutti, tutte, completo, intero, integral",
    "pron": "li$, lo$, tutto$, questi$",
    "contact": (
        "scriv, mail, email, e mail, invi, mand, contatt, chiam, newsletter, messagg, "
        "sms$, pubblicit, promozion"
    ),
    "list": "lista, elenco, mailing, newsletter",
    "marketing": "marketing, pubblicit, profilazione, commercial, promozion",
    "subscription": "iscrizione, abbonamento, rinnov",
    "test": "test$, prova, prove$, fittizi, demo",
    "me": "essere dimenticat, me$, mi$",
    "mine": "mio$, mia$, miei$, mie$, me$, mi$",
    "aboutme": "su di me$, di me$, riguardo a me$, che mi riguard, mi riguard",
    "self": "io$, lo uso, la uso, li uso, vorrei, voglio, chiedo, richiedo",
    "we": "noi$, nostr",
    "theirs": "suoi$, sua$, suo$, sue$, loro$",
    "agent": (
        "per conto, in nome d, mio cliente, nostro cliente, nostra cliente, delega$"
    ),
    "neg": "non$, mai$",
    "negafter": "niente$, nulla$",
    "only": "solo$, soltanto",
    "more": "piu$",
    "nolonger": "non piu, mai piu",
    "want": "chiedo, richiedo, voglio, vorrei, desider",
    "question": "quali, quale, cosa$, che cosa",
    "pending": (
        "per ora, per il momento, temporaneamente, mentre, finche, fino a, nel "
        "frattempo, senza cancell"
    ),
    "before": "grazie per aver, prima di, dopo aver, quando",
    "howto": "come$",
    "askhow": "come posso, come possiamo, come faccio, come facciamo, come si fa",
    "how": "come$",
    "mayi": "e possibile, posso$, potrei$",
    "howcome": "com e possibile, come mai",
    "boilerplate": (
        "riservat, il mittente, destinatario indicato, ricevuto per errore, ricevuto "
        "questo messaggio per errore"
    ),
}

_NL: Words = {
    "erase": (
        "vergeten worden, uit jullie systeem, uit uw systeem, uit het systeem, uit "
        "jullie database, weghal, gooi, weggooi, weg met, verwijder, wis$, wissen, "
        "vergeet, vergeten, vernietig, haal me, haal mij"
    ),
    "close": "opheff, sluit, sluiten, deactiveer, opzeg",
    "keep": "bewaar, bewaren, behoud, laten staan, laat staan",
    "restrict": "blokker, blokk, beperk, blokkeer, bevries, bevriez, pauzeer, opschort",
    "stop": "ophoud, stop, ophouden, hou op, niet meer, geen meer, nooit meer, weiger",
    "use": "doen met, mee doen, gebeurt, gebruik, verwerk",
    "rectify": (
        "rechtzet, rechtgezet, recht zetten, corrigeer, corrigeren, correctie, wijzig, "
        "aanpass, verbeter, bijwerk, aanpas, rectific"
    ),
    "wrong": (
        "niet juist, moet zijn, in plaats van, onjuist, fout, verkeerd, incorrect, "
        "verouderd, klopt niet, kloppen niet"
    ),
    "right": "klopt, kloppen",
    "fresh": "gewijzigd, veranderd, nieuw, oude$, oud$, verhuisd, getrouwd",
    "access": (
        "kopie, stuur, toesturen, zien, inzien, inzage, weten, ontvang, opvragen, "
        "bekijk, overzicht, geven"
    ),
    "receive": "krijg, ontvang",
    "export": "export, download, overdr, overzetten, meenemen, overbreng, verhuiz",
    "format": (
        "overstappen, andere leverancier, zip, als bestand, csv, json, xml$, "
        "machineleesbaar, andere aanbieder, andere dienst, een bestand, formaat"
    ),
    "sell": "verkop, verkocht, verkoop, delen, doorverkop, deel$, deelt$",
    "optout": "opt out",
    "object": "bezwaar",
    "withdraw": "intrek, trek, herroep",
    "consent": "toestemming",
    "unsub": "afmeld, uitschrijv",
    "alone": "laat me met rust, laat mij met rust",
    "data": "gegevens, *gegevens, informatie, info$, data$, profiel, bestand, database",
    "account": "account, profiel",
    "detail": (
        "*adres, bedrijf, functie, *naam, naam$, achternaam, adres, geboort, telefoon, "
        "spelling"
    ),
    "everything": "alles, alle$, volledig, compleet, helemaal",
    "pron": "dat$, het$, ze$, die$, dit$, alles$",
    "contact": (
        "schrijv, mail, e mail, stuur, sturen, contact, bel, nieuwsbrie, bericht, sms$, "
        "reclame, benader"
    ),
    "list": "*lijst, *lijsten, lijst, mailinglijst, verzendlijst, nieuwsbrie",
    "marketing": "marketing, reclame, advertentie, profilering, commercie",
    "subscription": "abonnement, lidmaatschap, inschrijving",
    "test": "test$, testdata$, testgegevens$, proef, demo",
    "me": "vergeten worden, mij$, me$",
    "mine": "mijn$, mij$, me$",
    "aboutme": "van mij$, over mij$, over mijzelf",
    "self": "ik$",
    "we": "wij$, we$, ons$, onze$",
    "theirs": "haar$, zijn$, hun$",
    "agent": (
        "namens$, mijn client, onze client, machtiging, volmacht, client$, cliente$"
    ),
    "neg": "niks$, niets$, niet$, geen$, nooit, nergens",
    "negafter": "niet$, niets$",
    "only": "alleen$",
    "more": "meer$",
    "nolonger": "niet meer, geen meer, nooit meer",
    "want": "ik verzoek, verzoek u, verzoek jullie, eis$, wil$, willen, wens, graag",
    "question": "welke, wat$, hoeveel",
    "pending": (
        "tijdelijk, in de tussentijd, tussentijds, ondertussen, terwijl, totdat, tot$, "
        "in afwachting, voorlopig"
    ),
    "before": "voordat, voor ik, nadat ik, als ik",
    "howto": "hoe$",
    "askhow": "hoe kan ik, hoe kunnen we, hoe doe ik, hoe doen we, hoe moet ik",
    "how": "hoe$",
    "mayi": "is het mogelijk, kan ik, mag ik",
    "howcome": "hoe kan het, hoe komt het",
    "boilerplate": (
        "vertrouwelijk, de afzender, beoogde geadresseerde, per abuis ontvangen, ten "
        "onrechte ontvangen"
    ),
}

_PT: Words = {
    "erase": (
        "ser esquecid, retir, apag, elimin, exclu, delet, remov, esquec, destru, tirar, "
        "tirem"
    ),
    "close": "encerr, cancel, desativ, fech",
    "keep": "conserv, guard, mant",
    "restrict": "limit, restring, restri, bloque, congel, suspend",
    "stop": (
        "parem, pare de, para de, parar de, deixem de, deixar de, nao mais, chega, nunca mais, "
        "recuso, recusar"
    ),
    "use": "fazer nada, facam nada, usar, usem, utiliz, trat, uso$",
    "rectify": (
        "corrig, corrij, correc, correcao, retific, rectific, alter, atualiz, actualiz, "
        "mud"
    ),
    "wrong": (
        "mal escrit, o correto e, o correcto e, em vez de, erro$, errad, incorret, "
        "incorrect, inexat, desatualiz, desactualiz, equivocad"
    ),
    "right": "certo$, correto, correcto",
    "fresh": "alterei, novo$, nova$, antig, mudei",
    "access": (
        "copia, envi, ver$, consult, acesso, acessar, obter, saber, conhecer, receb, "
        "mostr"
    ),
    "receive": "obter, receb, ter$",
    "export": "export, baix, descarreg, transfer, levar, portar",
    "format": (
        "mudar de fornecedor, outra plataforma, zip, como arquivo, csv, json, xml$, "
        "leitura automatica, outro fornecedor, outro servico, arquivo, ficheiro, "
        "formato"
    ),
    "sell": "vend, venda, compartilh, partilh",
    "optout": "opt out",
    "object": "oponho, oposicao, opor me, me oponho",
    "withdraw": "retir, revog",
    "consent": "consentimento, autorizacao",
    "unsub": "descadastr, desinscrev, cancelar a subscricao",
    "alone": "deixem me em paz",
    "data": "dados, informac, info$, cadastro, perfil, historico, base de dados",
    "account": "conta$, contas$, perfil, cadastro",
    "detail": (
        "empresa, cargo$, nome$, sobrenome, apelido, morada, endereco, nascimento, "
        "telefone"
    ),
    "everything": "tudo, todos, todas, completa, inteira, totalidade",
    "pron": "os$, los$, tudo$, isso$",
    "contact": (
        "escrev, mail, email, e mail, envi, contact, contat, lig, newsletter, mensage, "
        "sms$, publicidade, promoc"
    ),
    "list": "lista, mailing, newsletter, cadastro",
    "marketing": "marketing, publicidade, propaganda, perfilamento, comercia, promoc",
    "subscription": "assinatura, registo, registro, renov",
    "test": "teste, testes, ficticio, demo",
    "me": "ser esquecid, me$, mim$",
    "mine": "meu$, meus$, minha$, minhas$, me$, mim$",
    "aboutme": "sobre mim$, de mim$, a meu respeito",
    "self": "eu$, o uso, a uso, quero, solicito, peco$, gostaria, preciso",
    "we": "nosso, nossa",
    "theirs": "seus$, sua$, seu$, suas$, dele$, dela$",
    "agent": "em nome d, nosso cliente, nossa cliente, meu cliente, procuracao",
    "neg": "nao$, nunca, jamais",
    "negafter": "nada$",
    "only": "apenas$, so$",
    "more": "mais$",
    "nolonger": "nao mais, nunca mais",
    "want": (
        "solicito, peco$, preciso, pretendo, quero, desejo, gostaria, queria, pfv$, "
        "pfvr$"
    ),
    "question": "quais, qual$, quanto, que dados, que informacoes",
    "pending": (
        "por agora, por enquanto, temporariamente, enquanto, ate$, entretanto, sem "
        "apagar"
    ),
    "before": "antes de, depois de, quando",
    "howto": "como$",
    "askhow": "como posso, como podemos, como faco, como fazemos, como se faz",
    "how": "como$",
    "mayi": "e possivel, posso$, poderia$",
    "howcome": "como e possivel, como pode",
    "boilerplate": (
        "confidencial, o remetente, destinatario pretendido, recebido por engano, "
        "recebeu esta mensagem por engano"
    ),
}

_PL: Words = {
    "erase": (
        "zostac zapomnian, usun, skasow, kasow, wymaz, zapomn, zlikwid, likwid, "
        "wykresl, pozbyc, wykasuj, skasuj, kasuj"
    ),
    "close": "zamkn, dezaktyw, zamkniec",
    "keep": "zachowa, przechowywa, trzyma",
    "restrict": "ogranicz, zablok, wstrzym, zamroz",
    "stop": (
        "przesta, przestan, prosze przestac, koniec z, nie chce wiecej, wiecej nie, "
        "dosc, odmawiam, nie zgadzam"
    ),
    "use": "robcie, robic, robili, wykorzyst, uzyw, przetwarz, uzycie",
    "rectify": (
        "wpisa, popraw, sprostow, zmien, zmian, zaktualiz, aktualiz, skoryg, korekt"
    ),
    "wrong": (
        "zamiast, zly$, zla$, a nie$, prawidlow, poprawny to, blad$, bledn, "
        "nieprawidlow, niepoprawn, nieaktualn, zle$, pomylk, literowk"
    ),
    "right": "zgadza",
    "fresh": "zmienil, nowy, nowe$, nowa$, stary, stare$, starego, przeprowadz",
    "access": (
        "kopi, wglad, przesl, przesyl, wyslij, wyslac, dostep, otrzyma, wiedziec, "
        "dowiedziec, zobaczyc, udostepn, informacje jakie"
    ),
    "receive": "otrzym, dosta",
    "export": "eksport, export, pobra, pobier, przenies, przenos, przekaz, przeslac do",
    "format": (
        "zmiana dostawcy, zmienic dostawce, innej platformy, zip, jako plik, csv, json, "
        "xml$, odczyt maszynow, innego dostawcy, innej uslugi, plik, format"
    ),
    "sell": "sprzeda, udostepnia, odsprzeda",
    "optout": "opt out",
    "object": "sprzeciw",
    "withdraw": "wycofuj, wycofa, odwoluj, odwoluje, cofam",
    "consent": "zgod",
    "unsub": "wypis, rezygn",
    "alone": "zostawcie mnie w spokoju, dajcie mi spokoj",
    "data": "dane$, danych, danymi, dany, informacj, info$, profil, historia, baz",
    "account": "konto, konta, kontem, koncie, profil",
    "detail": "firma, firmy, stanowisk, imie, nazwisk, adres, urodzen, telefon",
    "everything": "wszystk, cale, calosc, calkowicie, calkiem",
    "pron": "ich$, je$, go$, to$, wszystko$",
    "contact": (
        "pisa, pisz, mail, e mail, maila, wiadomos, wysyl, przesyl, kontakt, dzwon, "
        "newsletter, sms, reklam, ofert"
    ),
    "list": "list, listy, mailing, newsletter",
    "marketing": "marketing, reklam, profilowan, handlow, promocj",
    "subscription": "subskrypc, rejestrac",
    "test": "testow, probn, demo",
    "me": "zostac zapomnian, mnie$, mi$",
    "mine": "moj, moje, moich, moim, moja, mnie$, mi$, mna$, swoj, swoich, swoim",
    "aboutme": "o mnie$, na moj temat, mnie dotycz, dotyczace mnie, dotyczacych mnie",
    "self": "poprosze, ja$, chce$, prosze, zadam, wnosze, chcialbym, chcialabym",
    "we": "nasz, nam$, nas$",
    "theirs": "jej$, jego$, ich$",
    "agent": (
        "w imieniu, naszej klientki, naszego klienta, mojego klienta, pelnomocnict"
    ),
    "neg": "brak$, nie$, nigdy",
    "negafter": "nic$",
    "only": "tylko$",
    "more": "wiecej",
    "nolonger": "wiecej nie",
    "want": "poprosze, zadam, wnosze, chce, chcialbym, chcialabym, prosze, zycze",
    "question": "jakie, jaki$, co$, ktore",
    "pending": (
        "na razie, w tym czasie, w miedzyczasie, dopoki, do czasu, podczas, w trakcie, "
        "tymczasowo"
    ),
    "before": "zanim, przed$, po tym jak, kiedy",
    "howto": "jak$",
    "askhow": "jak moge, jak mozemy, jak to zrobic, jak znalezc, jak usunac",
    "how": "jak$",
    "mayi": "czy da sie, czy mozna, czy moge, czy moglbym, czy moglabym",
    "howcome": "jak to mozliwe, jak to jest",
    "boilerplate": (
        "poufn, nadawce, wlasciwym adresatem, otrzymal omylkowo, otrzymala omylkowo"
    ),
}

_SV: Words = {
    "erase": (
        "bli bortglomd, radera, raderar, raderad, ta bort, tar bort, tas bort, glom, "
        "utplana, rensa, tabort"
    ),
    "close": "avsluta, avslut, stang",
    "keep": "behall, spara, lagra",
    "restrict": (
        "lasa$, las dem, las mina, las uppgifterna, begransa, begrans, blockera, frysa, "
        "pausa, sparra$"
    ),
    "stop": (
        "sluta, upphor, inga fler, inte langre, aldrig mer, stopp, vagrar, motsatter"
    ),
    "use": "gor nagot, gora nagot, gora med, anvands, anvand, behandl",
    "rectify": "ratta, rattel, korriger, andra$, andras, uppdater, justera",
    "wrong": (
        "stammer inte, ska vara, ratt ar, istallet for, felaktig, fel$, inkorrekt, "
        "stavat fel, gammal, inaktuell"
    ),
    "right": "stammer",
    "fresh": "andrat, bytt$, bytte$, ny$, nya$, nytt$, gamla$, flyttat, gift$",
    "access": (
        "ha ut, kopia, skicka, se$, ta del, tillgang, registerutdrag, utdrag, veta, fa "
        "veta, fa ut, visa, fa en"
    ),
    "receive": "fa$, erhall",
    "export": "exporter, ladda ner, ladda ned, overfor, flytta, ta med",
    "format": (
        "byta leverantor, byter leverantor, zip, som en fil, csv, json, xml$, "
        "maskinlasbar, annan leverantor, annan tjanst, fil$, format"
    ),
    "sell": "salj, sald, dela$, delar$, delas",
    "optout": "opt out",
    "object": "invand, motsatter",
    "withdraw": "aterkall, drar tillbaka, tar tillbaka",
    "consent": "samtycke",
    "unsub": "avregistr, avprenumer, avanmal",
    "alone": "lamna mig ifred, lat mig vara",
    "data": (
        "aktivitet, data$, uppgifter, personuppgift, information, info$, profil, "
        "historik, *historik, *historiken, register, databas"
    ),
    "account": "konto, kontot, *konto, profil",
    "detail": (
        "foretag, titel, *adress, namn, efternamn, adress, fodelse, telefon, "
        "personnummer"
    ),
    "everything": "allt, alla$, helt, hela, fullstandig",
    "pron": "det$, dem$, den$, allt$",
    "contact": (
        "skriva till mig, skriver till mig, mail, mejl, e post, epost, skicka, utskick, "
        "kontakt, ring, nyhetsbrev, meddelande, sms, reklam"
    ),
    "list": (
        "*lista, *listan, utskick, lista, listan, utskickslista, sandlista, nyhetsbrev"
    ),
    "marketing": "marknadsfor, reklam, profilering, kommersiell",
    "subscription": "medlemskap, prenumeration",
    "test": "test$, testdata$, prov$, demo",
    "me": "bli bortglomd, mig$, mej$",
    "mine": "min$, mitt$, mina$, mig$, mej$",
    "aboutme": "om mig$, om mej$, pa mig$, rorande mig$",
    "self": "jag$",
    "we": "vi$, oss$, vart$, vara$",
    "theirs": "hennes$, hans$, deras$, sina$, sin$, sitt$",
    "agent": "vagnar$, var klient, min klient, fullmakt, ombud$",
    "neg": "inte$, inga$, ingen$, aldrig",
    "negafter": "inte$, inget$, ingenting$",
    "only": "bara$, endast$",
    "more": "fler$, mer$, langre",
    "nolonger": "inga fler, inte langre, aldrig mer",
    "want": "jag begar, kraver, vill$, onskar, skulle vilja",
    "question": "vilka, vilken, vilket, vad$",
    "pending": (
        "tills vidare, for tillfallet, under den tiden, forran, sa lange, medan, tills, "
        "till dess, under tiden, tillfalligt"
    ),
    "before": "innan, efter att, nar jag",
    "howto": "hur$",
    "askhow": "hur kan jag, hur kan vi, hur gor jag, hur gor vi, hur gar jag",
    "how": "hur$",
    "mayi": "gar det att, kan jag, far jag",
    "howcome": "hur kommer det sig, hur kan det",
    "boilerplate": (
        "konfidentiell, avsandaren, avsedd mottagare, fatt detta av misstag, mottagit "
        "detta av misstag"
    ),
}

# Pronouns that Spanish and Italian attach to a verb ("mandarme", "cancellarli"): the
# class they give it.
CLITICS: Final[dict[str, dict[str, str]]] = {
    "es": {"me": "me", "lo": "pron", "la": "pron", "los": "pron", "las": "pron"},
    "it": {"mi": "me", "li": "pron", "lo": "pron", "la": "pron", "le": "pron"},
}

# What makes a look-alike: the words that say an action is reported, not asked ("done":
# "has been deleted", "wurde gelöscht", "cuenta eliminada"), that it must never happen
# ("never": "auf keinen Fall", "en ningún caso"), that it is a condition ("if": "if I
# cancel, will you delete…?", with "possible" for the polite "if possible"), that it is
# about someone else ("third": "what do you have on him", "sobre ele"), and questions
# that ask where or how something works (added to "askhow").
_LOOKALIKES: dict[str, Words] = {
    "en": {
        "keyword": "reply$, reply with, text$",
        "child": "son$, sons$, daughter, child, kid$, kids$",
        "recant": "please ignore, ignore my last, ignore my previous, ignore my earlier, disregard my, changed my mind, forget my last, forget my previous",
        "not_rectify": "changing jobs, changing job, change jobs, changed jobs, change job, changing employer, changed employer",
        "boilerplate": "you have the right to, you have the right of",
        "login": "login$, logins$, log in, sign in, signin$, 2fa$, two factor, as admin, as an admin",
        "greeting": "dear$, hello$, hi$",
        "recipients": "who you shared, who did you share, who you gave, who you passed, where you got",
        "useless": "much use, no use, any use, of use, little use",
        "relation": "husband, wife, neighbour, neighbor, son$, daughter, mother, father, boss$, employee, colleague, brother, sister, assistant, ex$, ex wife, ex husband, partner$, boyfriend, girlfriend, competitor",
        "please": "can you$, could you$, would you please, please$",
        "yours": "your$, yours$",
        "someday": "one day, some day, someday, ever$",
        "which": "which$",
        "relative": "with which, to which, of which",
        "sharing": "share, sharing, shared",
        "agent": "executor, estate of, death certificate, probate, letters of administration, legal guardian, court appointed",
        "pron": "these$",
        "erase": "disappear",
        "where": "where do i, where can i, where do we, where can we",
        "confirm": "confirmation",
        "forme": "for me$",
        "billing": "billing, invoice, invoicing, vat$",
        "done": (
            "been$, was deleted, were deleted, was removed, was erased, were erased, "
            "was wiped, found out, i noticed, already$"
        ),
        "never": "under no circumstances, in no case, by no means, on no account",
        "if": "if$, in case, whether$",
        "possible": "possible$, possibl, you can$, you could$, necessary$, needed$, so$",
        "third": "he$, she$, him$",
        "askhow": (
            "where we can, where we could, how does it work, how does the, how does your"
        ),
        "broken": "doesn t work, does not work, not working, isn t working, broken$",
        "fate": "what happens to, what will happen to, what would happen to",
        "domain": "domain",
        "neg": "without my, without it, without them",
    },
    "de": {
        "keyword": "antworten sie mit, antwortet mit, antworte mit, antworten mit",
        "child": "sohn, sohnes, tochter, kind$, kindes$",
        "recant": "ignorieren sie meine, ignorieren sie bitte, bitte ignorieren, anders uberlegt, anders ueberlegt, vergesst meine letzte, vergessen sie meine letzte, vergiss meine letzte, doch nicht losch, doch nicht loesch",
        "boilerplate": "sie haben das recht, ihnen steht das recht",
        "login": "login, anmelde, einlogg, 2fa$, zwei faktor, als admin",
        "greeting": "geehrte$, geehrter$, liebe$, lieber$, hallo$",
        "recipients": "an wen, wem sie, woher sie",
        "relation": "nachbar, mannes$, ehemann, ehefrau, sohn, sohnes, tochter, mutter, vater, vaters, chef$, chefs$, mitarbeiter, kolleg, bruder, schwester, assistent, ex mann, ex frau, exfrau, exmann, konkurrent",
        "please": "konnen sie, konnt ihr, bitte$",
        "yours": "ihr$, ihre$, ihres$, dein, euer$, eure$",
        "someday": "eines tages, irgendwann",
        "which": "die$, der$",
        "sharing": "teilen, weitergeb, weitergab",
        "agent": "nachlass, erbin$, erbe$, erbschein, sterbeurkunde, testamentsvollstreck, gesetzlicher betreuer, gesetzliche betreuerin, rechtlicher betreuer, rechtliche betreuerin",
        "erase": "verschwind",
        "where": "wo kann ich, wo finde ich, wo stelle ich, wo konnen wir",
        "confirm": "bestatigung, bestaetigung",
        "forme": "fur mich, fuer mich",
        "billing": "rechnung, *rechnung, ust$",
        "done": "wurde$, wurden$, worden$, habe erfahren, erfahren habe, bereits$",
        "never": "auf keinen fall, unter keinen umstanden, keinesfalls, auf gar keinen",
        "if": "wenn$, falls$, sofern$, ob$",
        "possible": "moglich, moeglich, notig, noetig, erforderlich, ja$, dem so",
        "askhow": ("wo wir, wie funktioniert, wie lauft, wie ablauft, wie das ablauft"),
        "broken": "geht nicht, funktioniert, klappt nicht",
        "fate": "was passiert mit, was geschieht mit, was wird aus",
        "domain": "domain",
        "neg": "ohne dass, ohne das$",
    },
    "fr": {
        "keyword": "repondez, repondre, repondre par",
        "child": "fils$, fille$, enfant",
        "recant": "ignorez mon, ignorez ma, ignorez mes, ne tenez pas compte, change d avis, annule ma demande, annuler ma demande, oubliez mon dernier, oubliez ma derniere, oubliez mon precedent",
        "not_rectify": "change d emploi, change de travail, change de boulot, changer d emploi, changer de travail",
        "boilerplate": "vous disposez d un droit, vous disposez du droit, vous avez le droit",
        "howcome": "comment avez vous eu, comment avez vous obtenu, comment vous avez eu, comment vous avez obtenu",
        "login": "connexion, identifiant, login$, 2fa$, double authentification, comme admin",
        "greeting": "cher$, chers$, chere$, cheres$, bonjour$",
        "recipients": "a qui vous, d ou vous",
        "relation": "voisin, mari$, femme$, fils$, fille$, mere$, pere$, patron, employe, collegue, frere, soeur, sœur, assistant, ex$, concurrent",
        "please": "pouvez vous, pourriez vous, merci de, s il vous plait",
        "yours": "votre$, vos$, ton$, tes$",
        "someday": "un jour",
        "which": "qui$",
        "relative": "lesquel, auxquel, desquel",
        "sharing": "partag",
        "agent": "succession, heritier, heritiere, acte de deces, executeur testamentaire, tuteur, tutrice, curateur, curatrice",
        "pron": "ces$",
        "data": "fiche$, fiches$",
        "erase": "disparai",
        "where": "ou est ce que je, ou puis je, ou est ce qu on, ou peut on",
        "before": "merci pour",
        "confirm": "confirmation",
        "forme": "pour moi",
        "billing": "factur, tva$",
        "done": (
            "ai$, ete$, supprimee$, supprimees$, effacee$, effacees$, etait$, "
            "etaient$, deja$"
        ),
        "never": "en aucun cas, sous aucun pretexte, surtout pas",
        "if": "si$",
        "possible": "possible$, besoin$, necessaire$, vous pouvez, vous pouviez, oui$, c est",
        "third": "sur elle, sur lui, d elle$, de lui$",
        "askhow": (
            "ou nous pouvons, ou on peut, comment fonctionne, comment ca marche, comment se passe"
        ),
        "broken": "fonctionne, marche pas, marche plus",
        "fate": "qu advient il, que deviennent, que devient, que se passe t il",
        "domain": "domaine",
        "neg": "sans que, sans pour autant, sans les$",
    },
    "es": {
        "keyword": "responde$, responda$, responded$, contesta$, conteste$",
        "child": "hijo$, hija$, hijos$, hijas$",
        "recant": "ignorad, ignoren mi, ignore mi, no hagais caso, no hagan caso, cambiado de opinion, cambiado de idea, cambie de opinion, cambie de idea, olvidad mi ultimo, olviden mi ultimo, olvida mi ultimo, olvide mi ultimo",
        "not_rectify": "cambio de trabajo, cambiar de trabajo, cambiado de trabajo, cambio de empleo",
        "boilerplate": "usted tiene derecho, puede ejercer sus derechos",
        "howcome": "como consiguieron, como obtuvieron, como han conseguido, como habeis conseguido, como han obtenido",
        "login": "login$, inicio de sesion, iniciar sesion, 2fa$, doble factor, con el que entro, con la que entro, con el que accedo, como admin",
        "greeting": "estimado$, estimada$, estimados$, estimadas$, hola$",
        "recipients": "a quien, con quien, de donde",
        "self": "cancelo$, cierro$, doy de baja",
        "relation": "exmarido, marido, esposa, exesposa, mujer$, vecin, hijo$, hija$, madre$, padre$, jefe$, emplead, companer, hermano, hermana, asistente, socio$, expareja, exemplead, excompaner, exsocio, novio$, novia$, competencia$",
        "please": "pueden, podeis, podrian, podriais, por favor",
        "yours": "tu$, tus$, vuestr",
        "someday": "algun dia, algun momento",
        "relative": "los cuales, las cuales, la cual, el cual, lo cual",
        "sharing": "compart",
        "agent": "albacea, heredero, heredera, certificado de defuncion, tutor legal, tutora legal, curador$, curadora$",
        "again": "volvais, vuelvan, vuelvas, vuelva, volver$",
        "wrong": "mal$",
        "use": "useis, usais, usasen, usaran, usemos",
        "erase": "desaparec",
        "where": "donde puedo, donde se, donde lo, donde encuentro",
        "confirm": "confirmacion",
        "forme": "por mi$, para mi$",
        "billing": "factur, cif$, fiscal$",
        "done": (
            "he$, hemos$, sido$, fue$, fueron$, eliminada$, eliminado$, eliminadas$, eliminados$, "
            "borrada$, borrado$, borradas$, borrados$, suprimida$, suprimido$, "
            "suprimidos$, suprimidas$"
            ", j ai appris, ai decouvert, j ai remarque"
            ", me he enterado, me entere, descubri$"
        ),
        "never": "en ningun caso, de ninguna manera, de ningun modo, bajo ningun",
        "if": "si$, en caso de",
        "possible": "posible$, necesario$, pueden$, podeis$, puedes$, es asi, es el caso",
        "third": "sobre ella, de ella$, sobre el$, de el$",
        "askhow": (
            "donde podemos, como funciona, como es el proceso, como elimino, como borro, como cambio, "
            "como hago"
        ),
        "broken": "funciona",
        "fate": "que pasa con, que pasara con, que sucede con, que ocurre con",
        "domain": "dominio",
        "neg": "sin que",
        "not_sell": "sale$, salen$",
    },
    "it": {
        "keyword": "rispondi, rispondete, rispondere, rispondi con",
        "child": "figlio, figlia, figli$",
        "recant": "ignorate, ignori la mia, ignori il mio, ho cambiato idea, non tenete conto, lasciate perdere, dimenticate la mia ultima, dimenticate il mio ultimo, dimentichi la mia ultima",
        "list": "liste$",
        "wrong": "corretto e$, corretta e$",
        "not_rectify": "cambio lavoro, cambiato lavoro, cambio di lavoro, cambiare lavoro",
        "boilerplate": "lei ha il diritto, puo esercitare i diritti",
        "howcome": "come avete avuto, come avete ottenuto, come avete trovato",
        "login": "login$, credenziali, di accesso, 2fa$, doppia autenticazione, come admin, come amministrat",
        "greeting": "gentile$, gentili$, caro$, cari$, ciao$",
        "recipients": "a chi, con chi, da dove",
        "self": "chiudo$, disdico$",
        "relation": "vicin, marito, moglie, figlio, figlia, madre$, padre$, capo$, dipendente, collega, fratello, sorella, assistente, ex$, concorrente",
        "please": "potete, potreste, per favore, per cortesia",
        "yours": "tuo$, tua$, tuoi$, vostr",
        "someday": "un giorno, prima o poi",
        "relative": "i quali, le quali, il quale, la quale",
        "sharing": "condivi",
        "agent": "erede$, eredi$, certificato di morte, esecutore testamentario, amministratore di sostegno, amministratrice di sostegno, tutore legale",
        "again": "tornate a, torniate a",
        "erase": "scompa",
        "where": "dove posso, dove si, dove trovo, dove lo",
        "before": "grazie per la, grazie per il",
        "confirm": "conferma$",
        "forme": "per me$",
        "billing": "fattur, partita iva",
        "done": (
            "ho$, stato$, stata$, stati$, state$, eliminato$, eliminata$, eliminati$, "
            "cancellato$, cancellata$, cancellati$, gia$"
            ", ho scoperto, sono venuto a sapere, sono venuta a sapere"
        ),
        "never": "in nessun caso, per nessun motivo, assolutamente non",
        "if": "se$, qualora, nel caso",
        "possible": "possibile$, necessario$, potete$, puoi$, si$, e cosi, e il caso",
        "third": "lui$, su di lui",
        "askhow": ("dove possiamo, come funziona, come avviene"),
        "broken": "funziona",
        "fate": "cosa succede, che fine fanno, che fine fa, cosa accade",
        "domain": "dominio",
        "neg": "senza che",
    },
    "nl": {
        "keyword": "antwoord met, beantwoord met, reageer met",
        "child": "zoon, dochter, kind$",
        "recant": "negeer$, vorige mail negeren, me bedacht, mij bedacht, vergeet mijn vorige, vergeet mijn laatste",
        "boilerplate": "u heeft het recht, u hebt het recht",
        "howcome": "hoe komen jullie, hoe komt u, hoe zijn jullie aan, hoe bent u aan",
        "login": "inlog, login$, gebruikersnaam, 2fa$, tweestaps, als beheerder, als admin",
        "greeting": "beste$, geachte$, hallo$",
        "recipients": "met wie, aan wie",
        "relation": "buurman, buurvrouw, man$, vrouw$, zoon, dochter, moeder, vader, baas$, werknemer, collega, broer, zus$, zuster, assistent, ex$, concurrent",
        "please": "kunnen jullie, kunt u, graag$, alsjeblieft, alstublieft",
        "yours": "uw$, jouw$",
        "someday": "ooit, op een dag",
        "which": "die$",
        "sharing": "delen, gedeeld, deel$, deelt$",
        "agent": "executeur, erfgenam, overlijdensakte, verklaring van erfrecht, bewindvoerder, curator$",
        "erase": "verdwijn",
        "where": "waar kan ik, waar vind ik, waar stel ik",
        "before": "bedankt voor",
        "confirm": "bevestiging",
        "forme": "voor mij, voor me$",
        "billing": "factu, btw$",
        "done": "werd$, werden$, geweest$, ben erachter gekomen, heb ontdekt",
        "never": "in geen geval, absoluut niet, zeker niet",
        "if": "als ik, als wij, als we, als jullie, als u$, als het, indien, mocht$",
        "possible": "mogelijk, nodig$, kunnen$, kan$, zo is, ja$",
        "third": "hun$",
        "askhow": (
            "waar we kunnen, waar wij kunnen, hoe werkt, hoe gaat dat, hoe verloopt"
        ),
        "broken": "werkt$, werken$",
        "fate": "wat gebeurt er met, wat gebeurt met",
        "domain": "domein",
        "neg": "zonder dat",
    },
    "pt": {
        "keyword": "responda$, responde$, respondam$",
        "child": "filho$, filha$, filhos$",
        "recant": "ignorem, ignore o meu, ignore a minha, mudei de ideia, mudei de opiniao, desconsiderem, desconsidere, esquecam o meu ultimo, esquecam a minha ultima, esqueca o meu ultimo, esqueca a minha ultima",
        "not_rectify": "mudei de emprego, mudando de emprego, mudar de emprego, mudei de trabalho, mudando de trabalho",
        "boilerplate": "voce tem o direito, pode exercer os seus direitos",
        "howcome": "como conseguiram, como obtiveram, como voces conseguiram, como voces obtiveram",
        "login": "login$, de acesso, 2fa$, dois fatores, como admin",
        "greeting": "prezado$, prezada$, prezados$, caro$, caros$, ola$",
        "recipients": "com quem, a quem, de onde",
        "self": "cancelo$, fecho$, encerro$",
        "relation": "vizinh, marido, esposa, filho$, filha$, mae$, pai$, chefe$, funcionari, irmao, irma$, assistente, socio$, namorad, ex socio, concorrente",
        "please": "podem, poderiam, por favor",
        "yours": "teu$, tua$, vosso, vossa",
        "someday": "um dia, algum dia",
        "relative": "as quais, os quais, a qual, o qual",
        "sharing": "compartilh, partilh",
        "agent": "herdeir, inventariante, certidao de obito, curador$, curadora$, tutor legal, tutora legal",
        "again": "voltem, voltar a, volte$",
        "erase": "desaparec",
        "where": "onde posso, onde se, onde encontro",
        "before": "obrigado pela, obrigada pela",
        "confirm": "confirmacao",
        "forme": "para mim, por mim",
        "billing": "fatur, cobranca, cnpj",
        "done": (
            "foi$, foram$, sido$, atualizei, corrigi$, recebi$, "
            "cancelei, removi$, excluida$, excluido$, excluidos$, excluidas$, "
            "apagada$, apagado$, apagados$, apagadas$, eliminada$, eliminado$, "
            "eliminados$, eliminadas$, exclui$, apaguei$, eliminei$"
            ", descobri$, fiquei sabendo"
        ),
        "never": "de jeito nenhum, de forma alguma, em caso algum, em hipotese alguma",
        "if": "se$, caso$",
        "possible": "possivel$, necessario$, puderem$, podem$, sim$, for o caso",
        "third": "sobre ele, sobre ela, dele$, dela$",
        "askhow": (
            "onde podemos, como funciona, como e o processo, como faco, como altero"
        ),
        "broken": "funciona",
        "fate": "o que acontece, que acontece com, o que sera",
        "domain": "dominio",
        "neg": "sem que",
        "not_neg": "no$",
        "not_export": "portanto$",
    },
    "pl": {
        "keyword": "odpowiedz, odpisz, odpiszcie, odpowiedzcie",
        "child": "syn$, syna$, corka, corki$, dziecka",
        "recant": "zignoruj, prosze zignorowac, zmienilem zdanie, zmienilam zdanie, rozmyslilem, rozmyslilam, zapomnijcie o mojej ostatniej, zapomnijcie o moim ostatnim",
        "not_rectify": "zmieniam prace, zmienilem prace, zmienilam prace, zmiana pracy",
        "boilerplate": "ma pani pan prawo, przysluguje pani, przysluguje panu, administratorem pani, administratorem pana",
        "howcome": "jak zdobyliscie, jak zdobyli, jak uzyskaliscie, jak weszliscie w posiadanie",
        "login": "logowan, login$, 2fa$, dwuskladnik, jako admin",
        "greeting": "szanowni$, szanowny$, szanowna$, drodzy$, czesc$",
        "recipients": "komu$, skad$",
        "self": "zamkne$, zrezygnuje$, anuluje$, wypowiem$",
        "relation": "sasiad, meza$, zony$, syna$, corki$, matki$, ojca$, szefa$, pracownik, kolegi, brata$, siostry$, asystent, bylego, bylej, konkurenc",
        "please": "prosze, czy mozecie, czy moglibyscie",
        "yours": "twoj, twoje, wasz, wasze",
        "someday": "kiedys",
        "which": "ktory, ktora, ktore, ktorych",
        "sharing": "udostepni",
        "agent": "spadkobier, akt zgonu, wykonawca testamentu, opiekun prawny, opiekunka prawna, kurator$",
        "pron": "tych$, tego$, te$",
        "erase": "znikn",
        "where": "gdzie moge, gdzie mozna, gdzie znajde",
        "before": "dziekuje za",
        "confirm": "potwierdzenie$, potwierdzenia$",
        "forme": "dla mnie, za mnie",
        "billing": "faktur, rozliczen, rozlicze, nip$, firmy$, siedzib",
        "done": (
            "zostal, zostala, zostalo, zostaly, dowiedzialem, dowiedzialam, *liscie, "
            "*lyscie, *lismy, *lysmy, prosilam, prosilem, zniknal$, zniknela$, "
            "zniknelo$, zniknely$, znikneli$, usunal$, usunela$, usunelo$, usunely$, "
            "usuneli$, usuniete$, usuniety$, usunieta$, usunieto$"
        ),
        "never": "w zadnym wypadku, pod zadnym pozorem, absolutnie nie",
        "if": "jesli, jezeli, gdyby, jakby, jak do",
        "possible": "mozliwe, mozna$, trzeba$, potrzeb, tak$",
        "third": "on$, o nim, o niej, jego$, jej$",
        "askhow": "gdzie mozemy, jak dziala, jak to dziala",
        "broken": "dziala",
        "fate": "co sie stanie z, co sie dzieje z",
        "domain": "domen",
    },
    "sv": {
        "keyword": "svara$, svara med",
        "child": "son$, sons$, dotter, barn$",
        "recant": "ignorera$, bortse fran, andrat mig, angrat mig, glom mitt forra, glom mitt senaste, glom mitt sista",
        "boilerplate": "du har ratt att, du har ratt till",
        "howcome": "hur fick ni, hur har ni fatt",
        "login": "inlogg, login$, 2fa$, tvastegs, som admin",
        "greeting": "kara$, hej$",
        "recipients": "vem ni, vilka ni, varifran",
        "relation": "granne, grannes, man$, mans$, fru$, frus$, son$, sons$, dotter, mamma, pappa, chef$, anstalld, kollega, bror$, brors$, syster, assistent, ex$, konkurrent",
        "please": "kan ni, kan du, skulle ni kunna, snalla",
        "yours": "ditt$, din$, dina$, ert$, era$",
        "someday": "en dag, nagon gang",
        "which": "som$",
        "sharing": "dela$, delar$, delas$, delat$",
        "agent": "dodsbo, dodsfallsintyg, arvinge, god man, huvudman, forordnande, forvaltare",
        "erase": "forsvinn",
        "where": "var kan jag, var hittar jag, var stall",
        "before": "tack for",
        "confirm": "bekraftelse",
        "forme": "for mig, at mig",
        "billing": "faktur, *faktura",
        "done": (
            "blev$, blivit$, har raderats, har tagits, fatt reda, fick reda, upptackt, "
            "var raderat, var raderad, var raderade, var borttaget, var borttagen, "
            "redan$"
        ),
        "never": "under inga omstandigheter, absolut inte, inte under nagra",
        "if": "ifall, om jag, om ni, om vi, om man",
        "possible": "mojligt, mojlig, behov, behovs, kan$, ja$, sa ar",
        "third": "han$, hon$, honom$, henne$",
        "askhow": (
            "var vi kan, hur tar jag, hur tar man, hur fungerar, hur gar det till"
        ),
        "broken": "fungerar, funkar",
        "fate": "vad hander med, vad som hander med",
        "domain": "doman",
        "neg": "utan att",
    },
}


def _with_lookalikes(code: str, words: Words) -> Words:
    merged = dict(words)
    for word_class, stems in _LOOKALIKES[code].items():
        held = merged.get(word_class)
        merged[word_class] = stems if held is None else f"{held}, {stems}"
    return merged


WORDS: Final[dict[str, Words]] = {
    code: _with_lookalikes(code, words)
    for code, words in (
        ("en", _EN),
        ("de", _DE),
        ("fr", _FR),
        ("es", _ES),
        ("it", _IT),
        ("nl", _NL),
        ("pt", _PT),
        ("pl", _PL),
        ("sv", _SV),
    )
}
