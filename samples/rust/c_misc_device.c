// SPDX-License-Identifier: GPL-2.0
/*
 * The C twin of the Rust misc device sample (rust_misc_device.rs), for
 * measuring what the Rust abstractions cost: /dev/c-misc-device, whose open
 * files each own a buffer of "pages" pages, page i filled with the byte
 * (i + 1) & 0xff, that mmap() maps with the Rust sample's rules (shared
 * only, never executable, read-only mappings never writable, no expansion,
 * not inherited by fork), inserting the pages one at a time with
 * vm_insert_page(), as the Rust sample does with per_page=1.  It has no
 * ioctls.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

static unsigned int pages = 16;
module_param(pages, uint, 0);
MODULE_PARM_DESC(pages, "Number of pages in the buffer of each open file");

struct c_misc_device {
	unsigned int npages;
	struct page *pages[];
};

static void c_misc_device_free(struct c_misc_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->npages; i++)
		__free_page(dev->pages[i]);
	kvfree(dev);
}

static int c_misc_device_open(struct inode *inode, struct file *file)
{
	struct c_misc_device *dev;
	unsigned int n = pages;

	dev = kvzalloc(struct_size(dev, pages, n), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	for (dev->npages = 0; dev->npages < n; dev->npages++) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page) {
			c_misc_device_free(dev);
			return -ENOMEM;
		}
		memset(page_address(page), (dev->npages + 1) & 0xff, PAGE_SIZE);
		dev->pages[dev->npages] = page;
	}
	file->private_data = dev;
	return 0;
}

static int c_misc_device_release(struct inode *inode, struct file *file)
{
	c_misc_device_free(file->private_data);
	return 0;
}

static int c_misc_device_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct c_misc_device *dev = file->private_data;
	unsigned long n = vma_pages(vma);
	unsigned long i;
	int err;

	if (!(vma->vm_flags & VM_MAYSHARE) || (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	if (vma->vm_pgoff > dev->npages || n > dev->npages - vma->vm_pgoff)
		return -EINVAL;
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTCOPY | VM_MIXEDMAP,
		     VM_MAYEXEC | (vma->vm_flags & VM_WRITE ? 0 : VM_MAYWRITE));

	/* On failure the mmap core unmaps the vma and what went in. */
	for (i = 0; i < n; i++) {
		err = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     dev->pages[vma->vm_pgoff + i]);
		if (err)
			return err;
	}
	return 0;
}

static const struct file_operations c_misc_device_fops = {
	.owner = THIS_MODULE,
	.open = c_misc_device_open,
	.release = c_misc_device_release,
	.mmap = c_misc_device_mmap,
};

static struct miscdevice c_misc_device = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "c-misc-device",
	.fops = &c_misc_device_fops,
};

module_misc_device(c_misc_device);

MODULE_AUTHOR("Rust for Linux Contributors");
MODULE_DESCRIPTION("C twin of the Rust misc device sample, for benchmarks");
MODULE_LICENSE("GPL");
