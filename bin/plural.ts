/** `1 URL`, `2 URLs`: counts in messages as a person writes them. */
const urls = (count: number): string => `${count} ${count === 1 ? 'URL' : 'URLs'}`;

export { urls };
