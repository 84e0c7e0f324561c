"use client";
import { Select } from "@/components/ui/field";
import { trpc } from "@/lib/trpc";

/** A filter by host ("All hosts" or one). */
export function HostFilter({ value, onChange, className = "w-48" }: { value: string; onChange: (id: string) => void; className?: string }) {
  const hosts = trpc.hosts.list.useQuery();
  return (
    <Select aria-label="Host" className={className} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">All hosts</option>
      {hosts.data?.map((h) => (
        <option key={h.id} value={h.id}>
          {h.name}
        </option>
      ))}
    </Select>
  );
}
