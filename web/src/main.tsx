/** The Parley agent UI: React 19, TanStack Query (server state) and Router (URL state). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { router } from './router.js';
import { ToastProvider } from './ui/Toasts.js';
import { Announcer } from './ui/Announcer.js';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // retry what may be passing (server errors, a dropped connection), never 4xx
      retry: (n, err) => {
        const status = (err as { status?: number }).status ?? 0;
        return n < 2 && (status === 0 || status >= 500);
      },
      refetchOnWindowFocus: true,
    },
    mutations: { retry: false },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
        <Announcer />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
