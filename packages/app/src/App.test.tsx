import { render, screen } from '@testing-library/react';

describe('App', () => {
  beforeAll(() => {
    // What the CLI injects at build time: the frontend's view of app-config.
    process.env = {
      ...process.env,
      APP_CONFIG: [
        {
          context: 'test',
          data: {
            app: { title: 'Test', baseUrl: 'http://localhost:3000' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
        },
      ] as any,
    };
  });

  it('starts on the guest sign-in page', async () => {
    // Imported here so that the config above is in place when the app reads it.
    const { default: app } = await import('./App');
    render(app.createRoot());
    expect(
      await screen.findByRole('button', { name: 'Enter' }, { timeout: 20_000 }),
    ).toBeInTheDocument();
    expect(screen.getByText('Vast.ai incident response')).toBeInTheDocument();
  }, 60_000);
});
