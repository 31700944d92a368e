/** Shows the type of what it was given. */
export default function Echo({ value }: { value: unknown }) {
  return <p class="echo">{typeof value}</p>;
}
