/**
 * Readable names for the synthetic catalogue: one category per topical cluster, and titles whose
 * nouns belong to the category, so that a demo's recommendation list reads like the genre it is in
 * ("The Silent Orbit" next to "Nebula of Ashes") and a drift is visible at a glance.
 */

/** A category's name, the nouns its titles draw on, and the decade its items cluster around. */
export interface CategoryTheme {
  readonly name: string;
  readonly nouns: readonly string[];
  readonly eraCentre: number;
}

export const CATEGORY_THEMES: readonly CategoryTheme[] = [
  { name: 'space-opera', nouns: ['Orbit', 'Nebula', 'Starship', 'Comet', 'Empire', 'Void', 'Moon', 'Horizon'], eraCentre: 1995 },
  { name: 'noir', nouns: ['Alley', 'Rain', 'Alibi', 'Detective', 'Cigarette', 'Motel', 'Witness', 'Shadow'], eraCentre: 1960 },
  { name: 'nature-docs', nouns: ['Reef', 'Glacier', 'Savanna', 'Forest', 'Migration', 'Tide', 'Wolf', 'Canyon'], eraCentre: 2012 },
  { name: 'romcom', nouns: ['Wedding', 'Bakery', 'Summer', 'Letter', 'Date', 'Kiss', 'Bookshop', 'Holiday'], eraCentre: 2003 },
  { name: 'western', nouns: ['Frontier', 'Saddle', 'Sheriff', 'Canyon', 'Outlaw', 'Railroad', 'Dust', 'Ranch'], eraCentre: 1965 },
  { name: 'horror', nouns: ['Cellar', 'Whisper', 'Doll', 'Asylum', 'Fog', 'Ritual', 'Attic', 'Curse'], eraCentre: 1985 },
  { name: 'heist', nouns: ['Vault', 'Diamond', 'Getaway', 'Casino', 'Blueprint', 'Crew', 'Safe', 'Job'], eraCentre: 2001 },
  { name: 'anime', nouns: ['Spirit', 'Blade', 'Academy', 'Dragon', 'Festival', 'Mecha', 'Sky', 'Lantern'], eraCentre: 2008 },
  { name: 'true-crime', nouns: ['Confession', 'Trial', 'Cold Case', 'Verdict', 'Suspect', 'Evidence', 'Motive', 'Jury'], eraCentre: 2018 },
  { name: 'cooking', nouns: ['Kitchen', 'Feast', 'Spice', 'Harvest', 'Oven', 'Noodle', 'Table', 'Market'], eraCentre: 2015 },
  { name: 'sports-drama', nouns: ['Comeback', 'Season', 'Champion', 'Rookie', 'Final', 'Stadium', 'Coach', 'Race'], eraCentre: 1998 },
  { name: 'fantasy-epic', nouns: ['Crown', 'Sword', 'Kingdom', 'Wizard', 'Throne', 'Prophecy', 'Realm', 'Tower'], eraCentre: 2005 },
  { name: 'war-history', nouns: ['Battalion', 'Trench', 'Beachhead', 'Armistice', 'Convoy', 'Front', 'Bunker', 'Medal'], eraCentre: 1975 },
  { name: 'musical', nouns: ['Song', 'Stage', 'Melody', 'Chorus', 'Ballroom', 'Encore', 'Rhythm', 'Piano'], eraCentre: 1958 },
  { name: 'cyberpunk', nouns: ['Circuit', 'Neon', 'Protocol', 'Android', 'Grid', 'Signal', 'Implant', 'Megacity'], eraCentre: 2010 },
  { name: 'stand-up', nouns: ['Punchline', 'Mic', 'Heckler', 'Tour', 'Special', 'Joke', 'Club', 'Encore'], eraCentre: 2016 },
];

const ADJECTIVES = [
  'Silent', 'Last', 'Golden', 'Broken', 'Hidden', 'Crimson', 'Endless', 'Lonely', 'Burning', 'Frozen',
  'Wild', 'Secret', 'Distant', 'Restless', 'Midnight', 'Electric', 'Quiet', 'Forgotten', 'Scarlet', 'Hollow',
];

const PLACES = ['Paris', 'the North', 'Tomorrow', 'the Valley', 'Nowhere', 'the Coast', 'Yesterday', 'the City', 'Glass', 'Ashes'];

/** The category of cluster `cluster`: the themes in order, then again with a suffix (`noir-2`, ...). */
export function categoryName(cluster: number): string {
  const theme = themeOf(cluster);
  const round = Math.floor(cluster / CATEGORY_THEMES.length);
  return round === 0 ? theme.name : `${theme.name}-${round + 1}`;
}

/** The theme behind cluster `cluster` (themes repeat when there are more clusters than themes). */
export function themeOf(cluster: number): CategoryTheme {
  return CATEGORY_THEMES[cluster % CATEGORY_THEMES.length]!;
}

/** A title for an item of cluster `cluster`, drawn with `rand` (uniform in [0, 1)). */
export function itemTitle(cluster: number, rand: () => number): string {
  const nouns = themeOf(cluster).nouns;
  const noun = pick(nouns, rand);
  const form = Math.floor(rand() * 5);
  if (form === 0) return `The ${pick(ADJECTIVES, rand)} ${noun}`;
  if (form === 1) return `${noun} of ${pick(PLACES, rand)}`;
  if (form === 2) return `The ${noun} and the ${pick(nouns, rand)}`;
  if (form === 3) return `${pick(ADJECTIVES, rand)} ${noun}`;
  return `The ${noun} ${pick(['Returns', 'Files', 'Diaries', 'Affair', 'Years'], rand)}`;
}

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)]!;
}
