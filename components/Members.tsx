import type { RefObject, VNode } from "preact";
import { useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { PureComponent } from "@/lib/client/pure_component.ts";
import type { MemberEntry } from "@/lib/shared/protocol.ts";
import { USER_NAME } from "@/lib/shared/names.ts";

/** Props of {@link Members}. */
export interface MembersProps {
  /** Members loaded so far, online first. */
  users: MemberEntry[];
  /** How many members the room has. */
  total: number;
  /** How many of them are online. */
  online: number;
  /** Whether more members remain to be loaded. */
  more: boolean;
  /**
   * Where the next page starts (the members cursor), when known: a new one
   * loads again while the end stays in view, even if the page added no
   * names (presence had listed them all).
   */
  next?: string;
  /** Names of members typing now. */
  typing: string[];
  /** The reader's name. */
  me: string;
  /** Whether the reader has an account (DMs are between accounts). */
  account: boolean;
  /** Whether the reader may invite and remove members (a private room's moderator). */
  manage: boolean;
  /** Loads the next page of members. */
  onMore?: () => void;
  /** Opens the direct-message room with an account. */
  onMessage?: (user: string) => void;
  /** Invites someone into the room. */
  onInvite?: (user: string) => void;
  /** Removes a member from the room, once confirmed. */
  onRemove?: (user: string) => void;
}

const STATUS = { online: "online", away: "away", offline: "offline" } as const;

/**
 * The room's members with their presence, online first, a page at a time
 * (more load as the list nears its end), with "Message" for accounts and,
 * for a private room's moderators, "Invite" and "Remove".
 */
export function Members(props: MembersProps): VNode {
  const confirm = useSignal<string | null>(null);
  const inviteError = useSignal("");
  const { users, typing, me } = props;
  // What the rows call, kept current in one stable object: a row renders
  // again only when what it shows changes (a big room lists thousands).
  const on = useRef<RowHandlers>(null as unknown as RowHandlers);
  on.current = {
    message: (name) => props.onMessage?.(name),
    remove: (name) => {
      if (confirm.value === name) {
        confirm.value = null;
        props.onRemove?.(name);
      } else confirm.value = name;
    },
  };
  return (
    <>
      <h2 class="side-title">
        Members — {props.total}{" "}
        <span class="online-count">({props.online} online)</span>
      </h2>
      {props.manage && (
        <form
          class="invite"
          onSubmit={(e) => {
            e.preventDefault();
            const input = (e.currentTarget as HTMLFormElement).elements
              .namedItem("user") as HTMLInputElement;
            const name = input.value.trim();
            if (!USER_NAME.test(name)) {
              inviteError.value = `“${name}” is not a user name`;
              return;
            }
            inviteError.value = "";
            props.onInvite?.(name);
            input.value = "";
          }}
        >
          <label for="invite-user">Invite someone</label>
          <div class="row">
            <input id="invite-user" name="user" autoCapitalize="none" />
            <button type="submit" class="button">Invite</button>
          </div>
          {inviteError.value && (
            <p class="error" role="alert">{inviteError.value}</p>
          )}
        </form>
      )}
      <ul class="members-list">
        {users.map((u) => (
          <MemberRow
            key={u.name}
            user={u}
            typing={typing.includes(u.name)}
            me={me}
            account={props.account}
            manage={props.manage}
            armed={confirm.value === u.name}
            on={on}
          />
        ))}
      </ul>
      {props.more && (
        <button
          type="button"
          class="link more-members"
          ref={(el) => {
            if (el) watch(el, `${users.length} ${props.next}`, props.onMore);
          }}
          onClick={props.onMore}
        >
          More members
        </button>
      )}
    </>
  );
}

/** What a member row calls; the object stays, its fields are kept current. */
interface RowHandlers {
  message(name: string): void;
  remove(name: string): void;
}

/** Props of {@link MemberRow}. */
interface MemberRowProps {
  user: MemberEntry;
  typing: boolean;
  me: string;
  account: boolean;
  manage: boolean;
  /** "Really remove?" is armed for this member. */
  armed: boolean;
  on: RefObject<RowHandlers>;
}

/** One member; renders again only when one of its props changes. */
class MemberRow extends PureComponent<MemberRowProps> {
  override render(): VNode {
    const { user: u, typing, me, account, manage, armed } = this.props;
    const on = () => this.props.on.current!;
    return (
      <li class={`${u.status}${typing ? " typing" : ""}`}>
        <span class="dot" title={STATUS[u.status]} aria-hidden="true" />
        <bdi class="name" title={u.name}>{u.name}</bdi>
        <span class="sr-only">({STATUS[u.status]})</span>
        {u.name === me && <span class="tag">you</span>}
        {u.guest && <span class="tag">guest</span>}
        {typing && <span class="sr-only">(typing)</span>}
        {account && !u.guest && u.name !== me && (
          <button
            type="button"
            class="link"
            onClick={() => on().message(u.name)}
          >
            Message<span class="sr-only">{` ${u.name}`}</span>
          </button>
        )}
        {manage && u.name !== me && (
          <button
            type="button"
            class="link"
            onClick={() => on().remove(u.name)}
          >
            {armed ? "Really remove?" : "Remove"}
            <span class="sr-only">{` ${u.name} from the room`}</span>
          </button>
        )}
      </li>
    );
  }
}

/** A watched button: its observer, the list it last saw, what loads more. */
interface Watch {
  observer: IntersectionObserver;
  seen: string;
  onMore?: () => void;
}

const watched = new WeakMap<Element, Watch>();

/**
 * Loads more when the "More members" button is in view: when it scrolls in,
 * and again whenever the list (its length, or where its next page starts)
 * changes while it stays in view (a page that still leaves the end on
 * screen, or a list started again from its first page after a reconnect).
 */
function watch(el: Element, list: string, onMore?: () => void): void {
  if (typeof IntersectionObserver === "undefined") return;
  const known = watched.get(el);
  if (known) {
    known.onMore = onMore;
    if (known.seen === list) return;
    known.seen = list;
    // Observing anew reports whether the button is in view now.
    known.observer.unobserve(el);
    known.observer.observe(el);
    return;
  }
  const w: Watch = {
    seen: list,
    onMore,
    observer: new IntersectionObserver((entries) => {
      if (!el.isConnected) return w.observer.disconnect();
      if (entries.some((e) => e.isIntersecting)) w.onMore?.();
    }),
  };
  watched.set(el, w);
  w.observer.observe(el);
}
