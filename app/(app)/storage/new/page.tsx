import Link from "next/link";
import { TargetForm } from "@/components/storage/target-form";
import { PageHeader } from "@/components/ui/page-header";

export const metadata = { title: "Add storage target" };

export default function NewTargetPage() {
  return (
    <div className="max-w-3xl">
      <PageHeader breadcrumb={<Link href="/storage">Storage</Link>} title="Add a storage target" description="Where backups and archived binlogs are written." />
      <TargetForm />
    </div>
  );
}
