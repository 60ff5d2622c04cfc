package moderation

// defaultGuidelines is the community charter a new community starts with,
// by language; admins edit it (a new version) from the administration.
var defaultGuidelines = map[string]string{
	"fr": `Bienvenue ! Ce forum est un lieu d’échange ouvert à toutes et à tous. Pour qu’il le reste, chacun s’engage à respecter les principes ci-dessous. L’équipe de modération veille à leur application, avec transparence : chaque décision est consignée dans le journal de modération.

## Le respect avant tout

Nous débattons des idées, pas des personnes. Les désaccords sont les bienvenus, les attaques personnelles ne le sont pas : pas d’insultes, de moqueries, d’intimidation ni de harcèlement, y compris en message privé. Écrivez comme vous parleriez à quelqu’un en face de vous.

## Pas de diffamation

N’accusez personne — membre, entreprise ou personnalité — d’un fait précis qui porterait atteinte à son honneur sans pouvoir l’établir. La diffamation est punie par la loi, et son auteur en répond. Une critique argumentée reste bien sûr possible.

## Ni racisme, ni haine, ni violence

Les propos racistes, antisémites, sexistes, homophobes ou discriminatoires, l’apologie de crimes et toute incitation à la violence ou à la haine sont interdits. Ils sont retirés sans préavis et peuvent être signalés aux autorités.

## Pas de spam ni de publicité hors sujet

Le forum n’est pas un espace publicitaire. Les messages commerciaux non sollicités, les liens promotionnels répétés et les messages identiques publiés en série sont retirés. Parler d’un produit ou d’un service reste possible quand c’est le sujet de la discussion et que vous le faites en toute transparence.

## Restez dans le sujet

Publiez dans la bonne catégorie, choisissez un titre clair et cherchez si la question n’a pas déjà été posée. Pour changer de sujet, ouvrez une nouvelle discussion.

## Protégez la vie privée

Ne publiez aucune information personnelle — adresse, téléphone, courriel, photos, lieu de travail — sur vous-même ou sur autrui sans accord. Ne partagez pas le contenu d’une conversation privée sans l’accord de vos interlocuteurs.

## Comment nous modérons

- Des filtres automatiques appliquent cette charte : selon le cas, un message est publié, publié avec certains mots masqués, retenu jusqu’à la validation d’un modérateur ou refusé. Vous voyez toujours pourquoi, et un message refusé vous est rendu tel que vous l’aviez écrit.
- Les premiers messages des nouveaux membres peuvent être relus avant publication, et leur nombre de liens est limité : c’est notre protection contre le spam.
- Si un message vous semble enfreindre la charte, signalez-le plutôt que d’y répondre.
- En cas de manquement, les sanctions sont graduées : avertissement, mise en sourdine, suspension, puis bannissement. Vous pouvez faire appel d’une décision.
`,
	"en": `Welcome! This forum is a place where everyone can talk. To keep it that way, each of us agrees to the principles below. The moderation team enforces them openly: every decision is recorded in the moderation log.

## Respect comes first

We debate ideas, not people. Disagreement is welcome, personal attacks are not: no insults, mockery, intimidation or harassment, private messages included. Write as you would speak to someone in front of you.

## No defamation

Do not accuse anyone — a member, a company or a public figure — of a specific act that harms their reputation unless you can prove it. Defamation is against the law, and its author answers for it. Reasoned criticism is of course welcome.

## No racism, hatred or violence

Racist, antisemitic, sexist, homophobic or otherwise discriminatory remarks, glorifying crimes and any incitement to violence or hatred are forbidden. They are removed without notice and may be reported to the authorities.

## No spam, no off-topic advertising

The forum is not an advertising space. Unsolicited commercial messages, repeated promotional links and identical posts sent in series are removed. You may talk about a product or a service when it is the topic of the discussion and you do so openly.

## Stay on topic

Post in the right category, choose a clear title and check whether the question has already been asked. To change the subject, start a new discussion.

## Protect privacy

Do not publish personal information — address, phone number, email, photos, workplace — about yourself or anyone else without consent. Do not share a private conversation without the consent of those who took part.

## How we moderate

- Automatic filters apply these guidelines: depending on the case, a post is published, published with some words masked, held until a moderator approves it, or refused. You always see why, and a refused post comes back to you as you wrote it.
- New members’ first posts may be reviewed before they are published, and their number of links is limited: this is how we keep spam out.
- If a post seems to break these guidelines, report it rather than answering it.
- Sanctions are gradual: a warning, silencing, suspension, then a ban. You may appeal a decision.
`,
}
