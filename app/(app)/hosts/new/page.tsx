import Link from "next/link";
import { HostForm } from "@/components/hosts/host-form";
import { PageHeader } from "@/components/ui/page-header";

export const metadata = { title: "Add host" };

export default function NewHostPage() {
  return (
    <div className="max-w-3xl">
      <PageHeader
        breadcrumb={<Link href="/hosts">Hosts</Link>}
        title="Add a database host"
        description="dbbackup connects with this account to back up, archive binlogs and restore. Test the connection before saving."
      />
      <HostForm />
    </div>
  );
}
