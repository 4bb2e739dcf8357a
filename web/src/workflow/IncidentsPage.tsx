/** The incidents page: history, and for approvers and admins declaring, closing and statements. */
import { useMe } from '../api/queries.js';
import { Frame } from './Frame.js';
import { IncidentsPanel } from './Incidents.js';

export function IncidentsPage() {
  const me = useMe().data;
  if (!me) return null;
  return (
    <Frame me={me} title="Incidents">
      <IncidentsPanel me={me} />
    </Frame>
  );
}
