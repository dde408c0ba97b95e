import { useState, type FormEvent, type ReactNode } from 'react';
import type { Conversation } from '@realchat/client';
import { navigate } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { useFriends } from './Conversations.js';

/** A group's name and members: rename, add friends, remove members, leave. */
export function GroupDetails({ conversation, onChange }: { conversation: Conversation; onChange: (c: Conversation) => void }): ReactNode {
  const { me } = useSession();
  const { friends } = useFriends();
  const [name, setName] = useState(conversation.name ?? '');
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = conversation.id;
  const path = { params: { path: { id } } };

  const run = async (call: () => Promise<void>): Promise<void> => {
    setError(null);
    try {
      await call();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const rename = (e: FormEvent): void => {
    e.preventDefault();
    void run(async () => onChange(await unwrap(rc.api.PATCH('/chat/conversations/{id}', { ...path, body: { name: name.trim() } }))));
  };
  const add = (e: FormEvent): void => {
    e.preventDefault();
    if (adding === '') return;
    void run(async () => {
      onChange(await unwrap(rc.api.POST('/chat/conversations/{id}/members', { ...path, body: { userIds: [adding] } })));
      setAdding('');
    });
  };
  const remove = (userId: string): void =>
    void run(async () => {
      await unwrap(rc.api.DELETE('/chat/conversations/{id}/members/{userId}', { params: { path: { id, userId } } }));
      if (userId === me.id) navigate('/chat');
      else onChange({ ...conversation, members: conversation.members.filter((m) => m.id !== userId) });
    });

  const candidates = (friends ?? []).filter((f) => !conversation.members.some((m) => m.id === f.id));
  return (
    <div className="card chat-details">
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <form className="chat-inline-form" onSubmit={rename}>
        <Field label="Group name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <button type="submit" className="secondary" disabled={name.trim() === '' || name.trim() === conversation.name}>
          Rename
        </button>
      </form>
      <h3 className="small strong">Members</h3>
      <ul className="list" aria-label="Members">
        {conversation.members.map((m) => (
          <li key={m.id} className="list-row">
            <span>
              {m.id === me.id ? `${m.displayName} (you)` : m.displayName}
              {m.role === 'owner' && <span className="tag">owner</span>}
            </span>
            {m.id === me.id ? (
              <button type="button" className="danger" onClick={() => remove(me.id)}>
                Leave group
              </button>
            ) : (
              <button type="button" className="secondary" onClick={() => remove(m.id)} aria-label={`Remove ${m.displayName}`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {candidates.length > 0 && (
        <form className="chat-inline-form" onSubmit={add}>
          <div className="field">
            <label htmlFor={`add-member-${id}`}>Add a friend</label>
            <select id={`add-member-${id}`} value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose a friend</option>
              {candidates.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.displayName}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="secondary" disabled={adding === ''}>
            Add
          </button>
        </form>
      )}
    </div>
  );
}
