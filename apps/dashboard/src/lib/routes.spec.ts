import { describe, expect, it } from 'vitest';
import { matchRoute, pathOf, type Route } from './routes';

describe('routes', () => {
  it.each<[string, string, Route]>([
    ['/', '', { page: 'market' }],
    ['/jobs', '', { page: 'jobs' }],
    ['/jobs/', '', { page: 'jobs' }],
    [
      '/jobs/6d1c0b1e-0000-4000-8000-000000000000',
      '',
      { page: 'job', id: '6d1c0b1e-0000-4000-8000-000000000000' },
    ],
    ['/submit', '', { page: 'submit' }],
    ['/providers', '', { page: 'providers' }],
    ['/providers/3Fq9x7Zk', '', { page: 'provider', id: '3Fq9x7Zk' }],
    ['/account', '', { page: 'account' }],
    ['/sign-in', '?next=%2Fjobs%2Fabc', { page: 'sign-in', next: '/jobs/abc' }],
    ['/nope', '', { page: 'not-found', path: '/nope' }],
    ['/jobs/a/b', '', { page: 'not-found', path: '/jobs/a/b' }],
  ])('%s%s', (path, search, route) => {
    expect(matchRoute(path, search)).toEqual(route);
  });

  it('never sends a signed-in user to another origin', () => {
    expect(matchRoute('/sign-in', '?next=https://evil.example')).toEqual({ page: 'sign-in' });
    expect(matchRoute('/sign-in', '?next=//evil.example')).toEqual({ page: 'sign-in' });
  });

  it('round-trips paths', () => {
    for (const path of [
      '/',
      '/jobs',
      '/jobs/x',
      '/submit',
      '/providers/a b',
      '/account',
      '/sign-in?next=%2Fjobs',
    ])
      expect(
        pathOf(
          matchRoute(
            path.split('?')[0].replace(' ', '%20'),
            path.includes('?') ? path.slice(path.indexOf('?')) : '',
          ),
        ),
      ).toBe(path.replace(' ', '%20'));
  });
});
