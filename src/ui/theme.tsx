/**
 * Colour on or off for every UI component. NO_COLOR (https://no-color.org) turns colour
 * off; chalk, which ink uses, does not read it, so components ask the theme instead of
 * naming colours directly. Without colour, series and states stay apart by glyph.
 */
import { createContext, useContext } from 'react';

export interface Theme {
  color: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true });

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

/** The colour to pass to ink's `<Text color>`, or undefined when colour is off. */
export function tint(theme: Theme, color: string | undefined): string | undefined {
  return theme.color ? color : undefined;
}

/** True when NO_COLOR is set to any non-empty value. */
export function colorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}
